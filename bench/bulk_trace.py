"""Where a slot's time goes between two calls: timestamps on both sides of the socket.

Runs the local TMAPI stand-in (its own process, traced) at latency L and cap C, and a
client making C calls at a time for `--seconds` at C/L: raw `httpx.AsyncClient`
workers, the SDK's `AsyncTmapiClient.search_by_image` workers, or the bulk runner
(fixed C, or auto). Both processes stamp every call with CLOCK_MONOTONIC (one clock
for the whole machine):

    client  write  the request's bytes handed to the socket (httpcore stream write)
    server  parsed request line read, headers parsed (handler starts its work)
            slept  the latency's sleep ended
            sent   the answer written to the socket
    client  read   the answer's first bytes read from the socket
    client  next   the next request written on the same connection

and prints, per call (medians and p90, in ms), the legs of the cycle "write -> next
write" on one connection, the loss per call (cycle - L), the server's CPU per call
and the client's, and what the client did that is not waiting (`--profile`: the top
of a cProfile of the client).

    .venv/bin/python bench/bulk_trace.py --client runner-fixed --latency 0.05 --cap 4
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import inspect
import json
import math
import os
import pstats
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
TOKEN = "bench-token"
CLIENTS = ("httpx", "sdk", "runner-fixed", "runner-auto")


# -- the traced server (run with --serve, in its own process) ---------------------------
def serve(latency: float, cap: int, trace: Path) -> None:
    from tmapi_search.testing import local_server

    events: list[tuple[int, int, int, int, int]] = []  # port, parsed, slept, sent, status
    lock = threading.Lock()
    local = threading.local()
    started: list[tuple[float, float]] = []
    original_handler_for = local_server._handler_for
    original_answer = local_server.LocalTmapiServer._answer

    def answer(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_answer(self, *args, **kwargs)
        local.slept = 0 if result[0] == 503 else time.monotonic_ns()  # 503: no sleep
        return result

    def handler_for(owner: Any) -> Any:
        base = original_handler_for(owner)

        class Traced(base):  # type: ignore[misc, valid-type]
            def parse_request(self) -> bool:
                local.parsed = time.monotonic_ns()
                if not started:  # the server's CPU from its first request on (not its start-up)
                    usage = resource.getrusage(resource.RUSAGE_SELF)
                    started.append((usage.ru_utime, usage.ru_stime))
                return bool(super().parse_request())

            def _serve(self, method: str) -> None:
                local.slept = 0
                super()._serve(method)
                sent = time.monotonic_ns()
                with lock:
                    events.append((self.client_address[1], local.parsed, local.slept, sent, 0))

        return Traced

    local_server._handler_for = handler_for
    local_server.LocalTmapiServer._answer = answer  # type: ignore[method-assign]

    def dump(*_: object) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        trace.write_text(
            json.dumps(
                {
                    "events": events,
                    "cpu": usage.ru_utime - started[0][0] + usage.ru_stime - started[0][1],
                    "sys": usage.ru_stime - started[0][1],
                }
            )
        )
        os._exit(0)

    signal.signal(signal.SIGUSR2, dump)
    local_server.main([f"--latency={latency}", f"--cap={cap}"])


# -- the traced client ------------------------------------------------------------------
class ClientTrace:
    def __init__(self) -> None:
        self.writes: dict[int, list[int]] = defaultdict(list)  # local port -> times
        self.reads: dict[int, list[int]] = defaultdict(list)  # first read after a write
        #: the client's own steps, in event-loop order: (time, "read" | "answered" |
        #: "released" | "acquired" | "write")
        self.steps: list[tuple[int, str]] = []

    def install(self) -> None:
        from httpcore._backends.anyio import AnyIOStream

        trace = self
        write, read = AnyIOStream.write, AnyIOStream.read

        def port(stream: Any) -> int:
            cached = getattr(stream, "_trace_port", None)
            if cached is None:
                sock = stream.get_extra_info("socket")
                cached = stream._trace_port = sock.getsockname()[1]
            return int(cached)

        async def traced_write(self: Any, buffer: bytes, timeout: float | None = None) -> None:
            if not getattr(self, "_trace_reading", False):  # the request's first write
                now = time.monotonic_ns()
                trace.writes[port(self)].append(now)
                trace.steps.append((now, "write"))
                self._trace_reading = True
            await write(self, buffer, timeout)

        async def traced_read(self: Any, max_bytes: int, timeout: float | None = None) -> bytes:
            data = await read(self, max_bytes, timeout)
            if data and getattr(self, "_trace_reading", False):
                self._trace_reading = False
                now = time.monotonic_ns()
                trace.reads[port(self)].append(now)
                trace.steps.append((now, "read"))
            return data

        AnyIOStream.write = traced_write  # type: ignore[method-assign]
        AnyIOStream.read = traced_read  # type: ignore[method-assign]

        from tmapi_search.bulk import concurrency, runner

        apply, slot_init = concurrency.ConcurrencyLimiter._apply, concurrency.Slot.__init__
        search_page = runner.BulkRunner._search_page

        def traced_apply(self: Any, slot: Any) -> None:
            trace.steps.append((time.monotonic_ns(), "released"))
            apply(self, slot)

        def traced_slot_init(self: Any, *args: Any, **kwargs: Any) -> None:
            trace.steps.append((time.monotonic_ns(), "acquired"))
            slot_init(self, *args, **kwargs)

        def traced_search_page(self: Any, image: Any) -> Any:
            send = search_page(self, image)  # the request built; sent when awaited

            async def traced_send() -> Any:
                data = await (send if inspect.isawaitable(send) else send())
                trace.steps.append((time.monotonic_ns(), "answered"))
                return data

            # the code before the request was built outside the slot: a coroutine
            return traced_send() if inspect.isawaitable(send) else traced_send

        concurrency.ConcurrencyLimiter._apply = traced_apply  # type: ignore[method-assign]
        concurrency.Slot.__init__ = traced_slot_init  # type: ignore[method-assign]
        runner.BulkRunner._search_page = traced_search_page  # type: ignore[method-assign]

    def chain(self) -> dict[str, list[float]]:
        """For each step, the time to the next step of the chain (ms), in loop order."""
        after = {"read": "answered", "answered": "released", "released": "acquired"}
        after["acquired"] = "write"
        steps = sorted(self.steps)
        legs: dict[str, list[float]] = defaultdict(list)
        for i, (start, kind) in enumerate(steps):
            if kind in after:
                for end, other in steps[i + 1 : i + 40]:
                    if other == after[kind]:
                        legs[f"client {kind} -> {after[kind]}"].append((end - start) / 1e6)
                        break
        return legs


async def run_client(kind: str, base_url: str, calls: int, cap: int) -> None:
    import httpx

    from tmapi_search import AsyncTmapiClient, spec
    from tmapi_search.bulk.inputs import InputImage
    from tmapi_search.bulk.runner import BulkRunner, BulkSettings
    from tmapi_search.bulk.store import Store

    if kind == "httpx":
        params = {
            "img_url": ALI,
            "page": 1,
            "page_size": 2,
            "language": "en",
            "sort": "default",
            "apiToken": TOKEN,
        }
        left = calls
        async with httpx.AsyncClient(base_url=base_url) as http:

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    (await http.get(spec.SEARCH_PATH, params=params)).json()

            await asyncio.gather(*(worker() for _ in range(cap)))
        return
    if kind == "sdk":
        left = calls
        async with AsyncTmapiClient(api_token=TOKEN, base_url=base_url) as client:

            async def sdk_worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    await client.search_by_image(ALI, page_size=2, max_retries=0)

            await asyncio.gather(*(sdk_worker() for _ in range(cap)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        rows = [InputImage(line=i + 2, img_url=f"{ALI}?n={i}") for i in range(calls)]
        with Store(Path(tmp) / "trace.sqlite") as store:
            store.add_images(row.db_row() for row in rows)
            todo = store.images_to_do([row.key for row in rows])
            run_id = store.start_run("trace", {})
            settings = BulkSettings(
                max_items_per_image=2, concurrency=cap if kind == "runner-fixed" else None
            )
            async with AsyncTmapiClient(
                api_token=TOKEN, base_url=base_url, max_concurrency=64
            ) as client:
                runner = BulkRunner(client, store, settings)
                await runner.run(todo, run_id)
            print(
                f"runner: done {runner.stats.done}, 503s {runner.stats.refused_503}, "
                f"peak {runner.limiter.peak}"
            )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.floor(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", choices=CLIENTS, default="runner-fixed")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--cap", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--profile", action="store_true", help="cProfile the client")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency, args.cap, args.serve)
        return
    from stamina.instrumentation import set_on_retry_hooks

    import tmapi_search.bulk.runner  # noqa: F401  (imports outside the timing)

    set_on_retry_hooks([])
    calls = math.ceil(args.seconds / args.latency) * args.cap
    with tempfile.TemporaryDirectory() as tmp:
        trace_file = Path(tmp) / "server.json"
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                f"--serve={trace_file}",
                f"--latency={args.latency}",
                f"--cap={args.cap}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        trace = ClientTrace()
        trace.install()
        profile = cProfile.Profile() if args.profile else None
        cpu0 = time.process_time()
        started = time.perf_counter()
        started_ns = time.monotonic_ns()
        if profile:
            profile.enable()
        asyncio.run(run_client(args.client, base_url, calls, args.cap))
        if profile:
            profile.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        server.send_signal(signal.SIGUSR2)
        server.wait(timeout=10)
        data = json.loads(trace_file.read_text())
    events = data["events"]
    ceiling = args.cap / args.latency
    writes = sorted(t for times in trace.writes.values() for t in times)
    print(
        f"  first request written {(writes[0] - started_ns) / 1e6:.1f} ms after the start, "
        f"the {args.cap}th {(writes[args.cap - 1] - started_ns) / 1e6:.1f} ms; last answer "
        f"read {(elapsed * 1e9 - (max(map(max, trace.reads.values())) - started_ns)) / 1e6:.1f}"
        " ms before the end"
    )
    print(
        f"{args.client}: L={args.latency * 1000:.0f} ms C={args.cap}: {calls} calls in "
        f"{elapsed:.2f} s = {calls / elapsed:.1f}/s = {calls / elapsed / ceiling:.1%} of C/L; "
        f"client CPU {cpu / calls * 1000:.2f} ms/call, server CPU "
        f"{data['cpu'] / max(len(events), 1) * 1000:.2f} ms/call "
        f"({data['sys'] / data['cpu']:.0%} in the kernel; all calls: {len(events)}); "
        f"load {os.getloadavg()[0]:.2f}"
    )
    by_port: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for port, parsed, slept, sent, _ in events:
        by_port[port].append((parsed, slept, sent, 0))
    legs: dict[str, list[float]] = defaultdict(list)
    ms = 1e-6
    for port, server_side in by_port.items():
        server_side.sort()
        writes, reads = trace.writes.get(port, []), trace.reads.get(port, [])
        if len(writes) != len(server_side) or len(reads) != len(server_side):
            continue
        for k, (parsed, slept, sent, _) in enumerate(server_side):
            refused = slept == 0
            legs["client write -> server parsed"].append((parsed - writes[k]) * ms)
            if not refused:
                legs["server parsed -> sleep ended (L + parse)"].append((slept - parsed) * ms)
                legs["server sleep ended -> sent"].append((sent - slept) * ms)
            legs["server sent -> client read"].append((reads[k] - sent) * ms)
            if k + 1 < len(writes):
                gap = (writes[k + 1] - reads[k]) * ms
                legs["client read -> next write (same conn)"].append(gap)
                if not refused:
                    legs["cycle - L (write -> next write)"].append(
                        (writes[k + 1] - writes[k]) * ms - args.latency * 1000
                    )
    if args.client.startswith("runner"):
        legs.update(trace.chain())
    print(f"  {'leg (ms)':<42} {'median':>7} {'p90':>7} {'n':>5}")
    for name, values in legs.items():
        print(
            f"  {name:<42} {statistics.median(values):>7.2f} "
            f"{percentile(values, 0.9):>7.2f} {len(values):>5}"
        )
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(25)
        if os.environ.get("TRACE_CUMULATIVE"):
            stats.sort_stats("cumulative").print_stats(os.environ["TRACE_CUMULATIVE"], 40)


if __name__ == "__main__":
    main()
