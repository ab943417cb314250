"""`import tmapi_search` vs `import httpx`, each in fresh interpreters.

Wall time of `python -c "import X"` minus that of `python -c "pass"`, median over
runs, alternating the two; ratio printed. Goal: <= 2x. Not a test. With --detail,
prints the slowest imports under tmapi_search (python -X importtime).

    .venv/bin/python bench/import_time.py [--runs 15] [--detail]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--detail", action="store_true")
    args = parser.parse_args()
    cases = {
        "baseline": "pass",
        "httpx": "import httpx",
        "tmapi_search": "import tmapi_search",
    }
    for code in cases.values():  # warm the OS file cache and .pyc files
        run(code)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, code in cases.items():
            times[name].append(run(code))
    med = {name: statistics.median(values) for name, values in times.items()}
    base = med["baseline"]
    httpx_cost = med["httpx"] - base
    ours = med["tmapi_search"] - base
    print(f"interpreter start-up:  {base * 1e3:7.1f} ms (subtracted)")
    print(f"import httpx:          {httpx_cost * 1e3:7.1f} ms")
    print(f"import tmapi_search:   {ours * 1e3:7.1f} ms")
    print(f"ratio: {ours / httpx_cost:.2f}x (goal <= 2x)")
    if args.detail:
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import tmapi_search"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr.splitlines()[1:]
        rows = sorted(out, key=lambda line: int(line.split("|")[1]), reverse=True)
        print("slowest cumulative imports (us):")
        print("\n".join(rows[:20]), flush=True)


if __name__ == "__main__":
    main()
