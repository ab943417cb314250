"""Client CPU per 20-item page: TmapiClient.search_by_image vs raw httpx get().json().

Both talk to the same local server (`_server.py`: a separate process on a free port,
same payload, keep-alive, TCP_NODELAY), so the difference is the client's own work.
Per-call CPU time (time.process_time of this process, not wall time) is measured for
five loops:

  raw         httpx.Client.get(URL, params=...).json()          (the baseline)
  transport   the SDK's own request (built once, beforehand), response read, nothing parsed
  + decode    ... and the body decoded (orjson if installed, else json)
  + models    ... and parsed into the generated SearchResponse (attrs models)
  SDK         TmapiClient.search_by_image (validation, request building, status and
              body checks, retry bookkeeping: "our layer" is SDK - (+ models))

raw and SDK search a different image URL on every call (1,000 in turn), as a bulk run
does: the SDK keeps encoded query pairs from call to call, and the image's is never
one of them here.

How it is kept fair and stable on a shared, noisy box:
- every stage runs on live answers (fresh bytes every call), not on one cached
  payload: parsing a fresh page costs ~1.5x what a loop over one hot payload suggests;
- warm-up first (pools, caches, the generated modules' first import);
- a round runs `--calls` calls of each stage, interleaved in slices of 10 calls (a
  few ms), in an order that rotates from round to round, so that a burst of load from
  another process, or the garbage collector's state, hits every stage alike;
- the ratio is the median over rounds of each round's SDK / raw (the two measured in
  the same seconds), printed with its spread (10th-90th percentile of the rounds);
  the breakdown is the median per stage.

The baseline is the cheapest plain use of httpx: an absolute URL and `params=`, on a
reused client. (Until November 2026 it was a client made with `base_url=` and a
relative path: httpx then joins the URL on every call, ~100-150 us of CPU the SDK
never pays, which flattered every ratio by ~0.1x. And the ratio was the ratio of two
medians taken in different seconds, which let one burst of load swing it by 0.1x.)
`--no-orjson` runs the SDK with the standard library's json, as without the
`[orjson]` extra. Goal: SDK <= 1.2x raw. Not a test: nothing is asserted.

    .venv/bin/python bench/client_cpu.py [--calls 200] [--rounds 15] [--no-orjson] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
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
IMAGES = [IMAGE.replace("-cib.jpg", f"-{n}-cib.jpg") for n in range(1000)]
GOAL = 1.2
SLICE = 10  # calls of one stage timed in a row before the next stage's turn


def one_round(stages: dict[str, Callable[[], object]], calls: int, shift: int) -> dict[str, float]:
    """CPU seconds per call of each stage over `calls` calls, interleaved in slices."""
    names = list(stages)
    order = names[shift % len(names) :] + names[: shift % len(names)]
    slices = max(1, calls // SLICE)
    total = dict.fromkeys(names, 0.0)
    for _ in range(slices):
        for name in order:
            call = stages[name]
            start = time.process_time()
            for _ in range(SLICE):
                call()
            total[name] += time.process_time() - start
    return {name: value / (slices * SLICE) for name, value in total.items()}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200, help="calls per stage per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="profile the client's calls")
    parser.add_argument(
        "--no-orjson", action="store_true", help="decode with json even if orjson is installed"
    )
    args = parser.parse_args()
    if args.no_orjson:
        _json.BACKEND, _json.loads = "json", _json._json_loads

    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_server.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        url = base + PATH
        params = {
            "img_url": IMAGE,
            "page": 1,
            "page_size": 20,
            "language": "en",
            "sort": "default",
            "apiToken": TOKEN,
        }
        raw = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0))
        client = TmapiClient(TOKEN, base_url=base)
        kwargs = client._search_kwargs(IMAGE, 1, 20, "en", "default", {})
        kwargs["auth"] = client._auth  # the token, added at send time as the SDK does
        timeout = httpx.Timeout(60.0, connect=10.0)
        http = client.http_client
        images = itertools.cycle(IMAGES)

        stages: dict[str, Callable[[], object]] = {
            "raw": lambda: raw.get(url, params={**params, "img_url": next(images)}).json(),
            "transport": lambda: http.request(**kwargs, timeout=timeout),
            "+ decode": lambda: _json.loads(http.request(**kwargs, timeout=timeout).content),
            "+ models": lambda: SearchResponse.from_dict(
                _json.loads(http.request(**kwargs, timeout=timeout).content)
            ),
            "SDK": lambda: client.search_by_image(next(images)),
        }
        assert len(client.search_by_image(IMAGE).items) == 20
        assert raw.get(url, params=params).json() == _json.loads(http.request(**kwargs).content)
        for _ in range(50):  # warm up pools and caches
            for call in stages.values():
                call()
        rounds = [one_round(stages, args.calls, shift) for shift in range(args.rounds)]
        med = {name: statistics.median(r[name] for r in rounds) for name in stages}
        ratios = [r["SDK"] / r["raw"] for r in rounds]

        print(
            f"client CPU per 20-item page, medians of {args.rounds} rounds of {args.calls} "
            f"calls per stage, interleaved (JSON decoder: {_json.BACKEND})"
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
        ratio = statistics.median(ratios)
        verdict = "ok" if ratio <= GOAL else "ABOVE GOAL"
        print(
            f"  ratio SDK / raw: {ratio:.2f}x (goal <= {GOAL}x: {verdict}; rounds' 10th-90th "
            f"percentile {percentile(ratios, 0.1):.2f}-{percentile(ratios, 0.9):.2f}x; noisy box)"
        )

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
