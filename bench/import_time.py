"""`import tmapi_search` vs `import httpx`, each in fresh interpreters; top contributors.

Wall time of `python -c "import X"` minus that of `python -c "pass"`, median over
runs, alternating the cases; ratio printed. Goal: <= 1.3x. The generated
client (attrs models), stamina and asyncio are imported on first use, so a line for
"import + what the first call loads" is printed too, as information. Then the top
contributors of `python -X importtime -c "import tmapi_search"` (self time, and
cumulative time of our own and third-party top-level packages). Not a test.

    .venv/bin/python bench/import_time.py [--runs 15] [--top 12]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

GOAL = 1.3
FIRST_CALL = (
    "import tmapi_search, tmapi_client.models, tmapi_client.api.search.search_items_by_image"
)


def run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def importtime(code: str) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, indented module name) per line of -X importtime."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    ).stderr.splitlines()
    rows = []
    for line in err[1:]:
        if not line.startswith("import time:"):
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(own), int(cumulative), name.rstrip()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    cases = {
        "baseline": "pass",
        "httpx": "import httpx",
        "tmapi_search": "import tmapi_search",
        "first call": FIRST_CALL,
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
    first = med["first call"] - base
    ratio = ours / httpx_cost
    print(f"import time, medians of {args.runs} fresh interpreters each (alternating)")
    print(f"  interpreter start-up:   {base * 1e3:7.1f} ms (subtracted)")
    print(f"  import httpx:           {httpx_cost * 1e3:7.1f} ms")
    print(f"  import tmapi_search:    {ours * 1e3:7.1f} ms")
    verdict = "ok" if ratio <= GOAL else "ABOVE GOAL"
    print(f"  ratio: {ratio:.2f}x (goal <= {GOAL}x: {verdict}; one run, noisy box)")
    print(
        f"  (information) + what the first call loads (generated client): "
        f"{first * 1e3:.1f} ms, {first / httpx_cost:.2f}x httpx"
    )

    rows = importtime("import tmapi_search")
    print(f"top {args.top} contributors to `import tmapi_search` (python -X importtime):")
    print("  by self time (us):")
    for own, _, name in sorted(rows, reverse=True)[: args.top]:
        print(f"    {own:>8}  {name.strip()}")
    print("  self time summed by top-level package (us, share):")
    by_package: dict[str, int] = {}
    for own, _, name in rows:
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0) + own
    total = sum(by_package.values())
    for package, own in sorted(by_package.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"    {own:>8}  {own / total:6.1%}  {package}")


if __name__ == "__main__":
    main()
