"""Client CPU per 20-item page: TmapiClient.search_by_image vs raw httpx get().json().

Both talk to the same local server (a separate process on a free port, same payload,
keep-alive), so the difference is the client's own work: validation, retries
(stamina), error checks and parsing into the generated models. Prints medians of
per-call CPU time (time.process_time of this process) over alternating rounds, and
the ratio. Goal: <= 1.5x. Not a test: nothing is asserted.

    .venv/bin/python bench/client_cpu.py [--calls 200] [--rounds 15] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from tmapi_client.models import SearchResponse

from tmapi_search import TmapiClient

TOKEN = "bench-token-0000"
IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
PATH = "/1688/global/search/image"


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

        def raw_call() -> object:
            return raw.get(PATH, params=params).json()

        def sdk_call() -> object:
            return client.search_by_image(IMAGE)

        assert len(client.search_by_image(IMAGE).items) == 20
        for _ in range(50):  # warm up both pools and caches
            raw_call()
            sdk_call()

        # Where the extra CPU goes: parsing into the generated models (the contract's
        # attrs classes, which the client must return) vs everything else of ours.
        # Measured in the same rounds, interleaved, so machine load affects all three.
        payload = json.loads(raw.get(PATH, params=params).content)

        def model_call() -> object:
            return SearchResponse.from_dict(payload)

        raw_times, sdk_times, model_times = [], [], []
        for _ in range(args.rounds):
            raw_times.append(cpu_per_call(raw_call, args.calls))
            sdk_times.append(cpu_per_call(sdk_call, args.calls))
            model_times.append(cpu_per_call(model_call, args.calls))
        raw_med, sdk_med = statistics.median(raw_times), statistics.median(sdk_times)
        print(f"raw httpx get().json():        {raw_med * 1e6:8.1f} us CPU per page (median)")
        print(f"TmapiClient.search_by_image:   {sdk_med * 1e6:8.1f} us CPU per page (median)")
        print(f"ratio: {sdk_med / raw_med:.2f}x (goal <= 1.5x)")

        model_med = statistics.median(model_times)
        extra = sdk_med - raw_med
        print(
            f"of the extra {extra * 1e6:.1f} us: generated SearchResponse.from_dict "
            f"{model_med * 1e6:.1f} us ({model_med / extra:.0%}), the rest (validation, "
            f"stamina, error checks) {(extra - model_med) * 1e6:.1f} us"
        )

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.calls):
                sdk_call()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        client.close()
        raw.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
