"""Benchmark: bulk throughput against a server with latency L and a hidden concurrency cap C.

A local TMAPI stand-in (`tmapi_search.testing.local_server`, bodies from the packaged
contract) answers each call after L seconds and refuses with the documented 503 any
call arriving while C calls are in flight. The bulk runner searches N images (one page
each) three ways -- sequential (`--concurrency 1`), fixed at the cap
(`--concurrency C`), and `auto` (AIMD, not told C; bounded by --max-concurrency) --
and the script prints images/s for each as a fraction of the ceiling C/L, with the
failed images and the 503s seen. Goal: auto >= 90 % of C/L with zero failed images.

    .venv/bin/python bench/bulk_concurrency.py [--images 500] [--latency 0.25] [--cap 8]

Ratios come from one run on this machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from stamina.instrumentation import set_on_retry_hooks

from tmapi_search import AsyncTmapiClient
from tmapi_search.bulk.inputs import InputImage
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
TOKEN = "bench-token"


async def one_mode(
    base_url: str, images: int, concurrency: int | None, max_concurrency: int, db: Path
) -> tuple[float, int, int, int, int]:
    rows = [InputImage(line=i + 2, img_url=f"{ALI}?n={i}") for i in range(images)]
    with Store(db) as store:
        store.add_images(row.db_row() for row in rows)
        todo = store.images_to_do([row.key for row in rows])
        run_id = store.start_run("bench", {})
        settings = BulkSettings(
            # one page each: the vendor's example page holds 2 items
            max_items_per_image=2,
            concurrency=concurrency,
            max_concurrency=max_concurrency,
        )
        async with AsyncTmapiClient(
            api_token=TOKEN, base_url=base_url, max_concurrency=max_concurrency
        ) as client:
            runner = BulkRunner(client, store, settings)
            started = time.perf_counter()
            stats = await runner.run(todo, run_id)
            elapsed = time.perf_counter() - started
        store.finish_run(run_id, runner.outcome)
        counts = store.counts()
    return elapsed, counts.done, counts.failed, stats.refused_503, runner.limiter.peak


@contextlib.contextmanager
def server_process(latency: float, cap: int) -> Iterator[str]:
    """The local server in its own process (no GIL shared with the client); yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tmapi_search.testing.local_server",
            f"--latency={latency}",
            f"--cap={cap}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.25, help="L, seconds per call")
    parser.add_argument("--cap", type=int, default=8, help="C, the hidden concurrency cap")
    parser.add_argument("--max-concurrency", type=int, default=32)
    parser.add_argument(
        "--sequential-images", type=int, default=40, help="images for the sequential mode (slow)"
    )
    args = parser.parse_args()
    set_on_retry_hooks([])  # stamina would log each 503 retry at WARNING
    ceiling = args.cap / args.latency
    print(
        f"{args.images} images, one page each; server latency L={args.latency * 1000:.0f} ms, "
        f"hidden cap C={args.cap}: ceiling C/L = {ceiling:.1f} images/s"
    )
    modes: list[tuple[str, int | None, int]] = [
        ("sequential", 1, min(args.sequential_images, args.images)),
        (f"fixed {args.cap}", args.cap, args.images),
        ("auto", None, args.images),
    ]
    print(
        f"{'mode':<12} {'images/s':>9} {'of C/L':>7} {'done':>5} {'failed':>6} "
        f"{'503s':>5} {'peak':>5} {'time':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, concurrency, images in modes:
            with server_process(args.latency, args.cap) as base_url:
                elapsed, done, failed, refused, peak = asyncio.run(
                    one_mode(
                        base_url,
                        images,
                        concurrency,
                        args.max_concurrency,
                        Path(tmp) / f"{name.replace(' ', '-')}.sqlite",
                    )
                )
            rate = done / elapsed
            print(
                f"{name:<12} {rate:>9.1f} {rate / ceiling:>7.1%} {done:>5} {failed:>6} "
                f"{refused:>5} {peak:>5} {elapsed:>6.2f}s"
            )


if __name__ == "__main__":
    main()
