"""Benchmark: bulk throughput against a server with latency L and a hidden concurrency cap C.

A local TMAPI stand-in (`tmapi_search.testing.local_server`, bodies from the packaged
contract, run in its own process) answers each call after L seconds and refuses at
once, with the documented 503, any call arriving while C calls are in flight. For each
point of the grid the bulk runner searches enough images for >= 15 s at the ceiling
C/L (one page each), twice: fixed at the cap (`--concurrency C`) and `auto` (not told
C; bounded by --max-concurrency, default 64). Printed: images/s as a fraction of C/L
(start-up included), auto against fixed, the 503s seen and the peak limit.

Then one run where the cap drops from 8 to 4 halfway (another client of the same
account starts): auto's images/s before and after against each C/L, and how long the
limit took to settle (the first moment after the drop from which it stays <= 4 + 1,
the probe).

Goals: auto >= 90 % of C/L at every point, within 10 % of fixed-C; after
the drop it settles within 10 s. Ratios come from one run on this machine; they are
printed, never asserted.

    .venv/bin/python bench/bulk_concurrency.py [--quick] [--seconds 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stamina.instrumentation import set_on_retry_hooks

from tmapi_search import AsyncTmapiClient
from tmapi_search.bulk.inputs import InputImage
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
TOKEN = "bench-token"
GRID = [(0.05, 4), (0.25, 8), (1.0, 20), (2.0, 50)]
QUICK_GRID = [(0.05, 4), (1.0, 20)]


@dataclass
class Result:
    elapsed: float
    done: int
    failed: int
    refused: int
    peak: int
    #: (seconds since start, limit, images done) sampled every 50 ms
    samples: list[tuple[float, int, int]] = field(default_factory=list)


async def one_run(
    base_url: str,
    images: int,
    concurrency: int | None,
    max_concurrency: int,
    db: Path,
    server: subprocess.Popen[str] | None = None,
    drop_after: float | None = None,
) -> Result:
    rows = [InputImage(line=i + 2, img_url=f"{ALI}?n={i}") for i in range(images)]
    with Store(db) as store:
        store.add_images(row.db_row() for row in rows)
        todo = store.images_to_do([row.key for row in rows])
        run_id = store.start_run("bench", {})
        settings = BulkSettings(
            max_items_per_image=2,  # one page each: the vendor's example page holds 2 items
            concurrency=concurrency,
            max_concurrency=max_concurrency,
        )
        async with AsyncTmapiClient(
            api_token=TOKEN, base_url=base_url, max_concurrency=max_concurrency
        ) as client:
            runner = BulkRunner(client, store, settings)
            samples: list[tuple[float, int, int]] = []
            started = time.perf_counter()

            async def sample() -> None:
                dropped = False
                while True:
                    now = time.perf_counter() - started
                    if drop_after is not None and not dropped and now >= drop_after:
                        assert server is not None
                        server.send_signal(signal.SIGUSR1)
                        dropped = True
                    samples.append((now, runner.limiter.limit, runner.stats.done))
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())
            stats = await runner.run(todo, run_id)
            elapsed = time.perf_counter() - started
            sampler.cancel()
        store.finish_run(run_id, runner.outcome)
        counts = store.counts()
    return Result(
        elapsed, counts.done, counts.failed, stats.refused_503, runner.limiter.peak, samples
    )


@contextlib.contextmanager
def server_process(
    latency: float, cap: int, cap_on_sigusr1: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The local server in its own process (no GIL shared with the client)."""
    command = [
        sys.executable,
        "-m",
        "tmapi_search.testing.local_server",
        f"--latency={latency}",
        f"--cap={cap}",
    ]
    if cap_on_sigusr1 is not None:
        command.append(f"--cap-on-sigusr1={cap_on_sigusr1}")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip(), process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _point(text: str) -> tuple[float, int]:
    latency, _, cap = text.partition(":")
    try:
        return float(latency), int(cap)
    except ValueError:
        message = f"--point: expected L:C (seconds:cap), e.g. 0.05:4, got {text!r}"
        raise SystemExit(message) from None


def grid(args: argparse.Namespace, tmp: Path) -> None:
    points = args.points or (QUICK_GRID if args.quick else GRID)
    print(
        f"auto concurrency vs a hidden cap: each run >= {args.seconds:.0f} s at C/L, one page "
        f"per image, --max-concurrency {args.max_concurrency}; goal auto >= 90% of C/L"
    )
    print(
        f"{'L':>6} {'C':>3} {'C/L':>6} | {'fixed':>6} {'of C/L':>7} | {'auto':>6} {'of C/L':>7} "
        f"{'vs fixed':>8} {'503s':>5} {'peak':>4} {'failed':>6} {'time':>6}"
    )
    for latency, cap in points:
        ceiling = cap / latency
        # whole rounds of C calls, >= the run length at C/L: with a part-filled last
        # round even a client with no overhead could not hold C/L to the end (375 images
        # at 2 s x 50 would be 7.5 rounds: at most 93.8 %)
        images = math.ceil(args.seconds / latency) * cap
        rates: dict[str, Result] = {}
        for name, concurrency in (("fixed", cap), ("auto", None)):
            with server_process(latency, cap) as (base_url, _):
                rates[name] = asyncio.run(
                    one_run(
                        base_url,
                        images,
                        concurrency,
                        args.max_concurrency,
                        tmp / f"{latency}-{cap}-{name}.sqlite",
                    )
                )
        fixed, auto = rates["fixed"], rates["auto"]
        fixed_rate, auto_rate = fixed.done / fixed.elapsed, auto.done / auto.elapsed
        verdict = "ok" if auto_rate >= 0.9 * ceiling else "BELOW"
        print(
            f"{latency * 1000:>4.0f}ms {cap:>3} {ceiling:>6.1f} | {fixed_rate:>6.1f} "
            f"{fixed_rate / ceiling:>7.1%} | {auto_rate:>6.1f} {auto_rate / ceiling:>7.1%} "
            f"{auto_rate / fixed_rate:>8.1%} {auto.refused:>5} {auto.peak:>4} "
            f"{auto.failed + fixed.failed:>6} {auto.elapsed:>5.1f}s {verdict}",
            flush=True,
        )


def cap_drop(args: argparse.Namespace, tmp: Path) -> None:
    latency, before, after = 0.25, 8, 4
    half = args.seconds
    images = math.ceil(half * before / latency + half * after / latency)
    with server_process(latency, before, cap_on_sigusr1=after) as (base_url, process):
        result = asyncio.run(
            one_run(
                base_url,
                images,
                None,
                args.max_concurrency,
                tmp / "drop.sqlite",
                server=process,
                drop_after=half,
            )
        )
    first = [s for s in result.samples if s[0] < half]
    second = [s for s in result.samples if s[0] >= half]
    rate_before = first[-1][2] / first[-1][0] if first else 0.0
    last = result.samples[-1]
    rate_after = (last[2] - second[0][2]) / (last[0] - second[0][0]) if len(second) > 1 else 0.0
    above = [t for t, limit, _ in second if limit > after + 1]
    settle = (max(above) - half + 0.05) if above else 0.0
    verdict = "ok" if settle <= 10 else "SLOW"
    print(
        f"cap drop {before} -> {after} after {half:.0f} s (L={latency * 1000:.0f} ms, auto): "
        f"before {rate_before:.1f}/s = {rate_before / (before / latency):.1%} of C/L, "
        f"after {rate_after:.1f}/s = {rate_after / (after / latency):.1%} of C/L; "
        f"settled (limit <= {after + 1} from then on) {settle:.1f} s after the drop "
        f"(goal <= 10 s: {verdict}); 503s {result.refused}, failed {result.failed}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two grid points, 6 s runs")
    parser.add_argument("--seconds", type=float, default=None, help="run length at C/L")
    parser.add_argument("--max-concurrency", type=int, default=64)
    parser.add_argument("--no-drop", action="store_true", help="skip the cap-drop run")
    parser.add_argument(
        "--point",
        action="append",
        default=None,
        metavar="L:C",
        help="run only this grid point (latency in s, cap), e.g. 0.05:4; repeatable",
    )
    args = parser.parse_args()
    args.points = [_point(text) for text in args.point or ()]
    if args.seconds is None:
        args.seconds = 6.0 if args.quick else 15.0
    set_on_retry_hooks([])  # stamina would log each 503 retry at WARNING
    os.environ.pop("TMAPI_LOG", None)
    with tempfile.TemporaryDirectory() as tmp:
        grid(args, Path(tmp))
        if not args.no_drop:
            cap_drop(args, Path(tmp))


if __name__ == "__main__":
    main()
