"""Client CPU per 20-item page: TmapiClient.search_by_image vs raw httpx get().json().

Both talk to the same local server (`_server.py`: a separate process on a free port,
same payload, keep-alive, TCP_NODELAY), so the difference is the client's own work.
Per-call CPU time (time.process_time of this process) is measured for five loops,
interleaved round by round so machine load hits them alike; medians are printed:

  raw         httpx.Client.get(...).json()                      (the baseline)
  transport   the SDK's own request, response read, nothing parsed
  + decode    ... and the body decoded (orjson if installed, else json)
  + models    ... and parsed into the generated SearchResponse (attrs models)
  SDK         TmapiClient.search_by_image (validation, request building, status and
              body checks, retry bookkeeping: "our layer" is SDK - (+ models))

Each stage runs on live answers (fresh bytes every call), not on one cached payload:
parsing a fresh page costs ~1.5x what a loop over one hot payload suggests.
Goal (issue 14): SDK <= 1.2x raw. Not a test: nothing is asserted.

    .venv/bin/python bench/client_cpu.py [--calls 200] [--rounds 15] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from tmapi_client.models import SearchResponse

from tmapi_search import TmapiClient, _json

TOKEN = "bench-token-0000"
IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
PATH = "/1688/global/search/image"
GOAL = 1.2


def cpu_per_call(call: Callable[[], object], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="profile the client's calls")
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_server.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        params = {
            "img_url": IMAGE,
            "page": 1,
            "page_size": 20,
            "language": "en",
            "sort": "default",
            "apiToken": TOKEN,
        }
        raw = httpx.Client(base_url=base, timeout=httpx.Timeout(60.0, connect=10.0))
        client = TmapiClient(TOKEN, base_url=base)
        kwargs = client._search_kwargs(IMAGE, 1, 20, "en", "default", {})
        timeout = httpx.Timeout(60.0, connect=10.0)
        http = client.http_client

        stages: dict[str, Callable[[], object]] = {
            "raw": lambda: raw.get(PATH, params=params).json(),
            "transport": lambda: http.request(**kwargs, timeout=timeout),
            "+ decode": lambda: _json.loads(http.request(**kwargs, timeout=timeout).content),
            "+ models": lambda: SearchResponse.from_dict(
                _json.loads(http.request(**kwargs, timeout=timeout).content)
            ),
            "SDK": lambda: client.search_by_image(IMAGE),
        }
        assert len(client.search_by_image(IMAGE).items) == 20
        for _ in range(50):  # warm up pools and caches
            for call in stages.values():
                call()
        times: dict[str, list[float]] = {name: [] for name in stages}
        for _ in range(args.rounds):
            for name, call in stages.items():
                times[name].append(cpu_per_call(call, args.calls))
        med = {name: statistics.median(values) for name, values in times.items()}

        print(
            f"client CPU per 20-item page, medians of {args.rounds} interleaved rounds of "
            f"{args.calls} calls (JSON decoder: {_json.BACKEND})"
        )
        print(f"  raw httpx get().json():      {med['raw'] * 1e6:8.1f} us")
        print(f"  TmapiClient.search_by_image: {med['SDK'] * 1e6:8.1f} us")
        parts = [
            ("transport (httpx request + read)", med["transport"]),
            ("decode (JSON)", med["+ decode"] - med["transport"]),
            ("models (generated from_dict)", med["+ models"] - med["+ decode"]),
            ("our layer (validation, checks, retries)", med["SDK"] - med["+ models"]),
        ]
        for label, value in parts:
            print(f"    {label:<40} {value * 1e6:8.1f} us  {value / med['SDK']:6.1%}")
        ratio = med["SDK"] / med["raw"]
        verdict = "ok" if ratio <= GOAL else "ABOVE GOAL"
        print(f"  ratio SDK / raw: {ratio:.2f}x (goal <= {GOAL}x: {verdict}; one run, noisy box)")

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.calls):
                client.search_by_image(IMAGE)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        client.close()
        raw.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
