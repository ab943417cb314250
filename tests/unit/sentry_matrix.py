"""The SDK's fault matrix under the real sentry-sdk; prints what the events hold (JSON).

Run as `python -m tests.unit.sentry_matrix` (tests/unit/test_sentry_tokens.py does, in a
subprocess of its own: `sentry_sdk.init` patches the standard library for the whole
process). Set up as a user of Sentry would: `sentry_sdk.init` with default options (local
variables on, default integrations and scrubbing, logging at INFO), a transport that
keeps each envelope instead of sending it. Each failing call is captured with
`sentry_sdk.capture_exception`; a failing bulk run is captured through its ERROR log
lines (the logging integration) and the exception its caller raises.

Output: one JSON object per scenario: name, calls that failed, events captured, and how
many times the token (raw or percent-encoded) occurs in them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import sentry_sdk
import stamina
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from tmapi_search import AsyncTmapiClient, TmapiClient, TmapiError, spec
from tmapi_search.testing import local_tmapi_server

TOKEN = "s3cr3t-T0KEN/+=&%41-9f2b"
#: what any form of the token contains (raw, percent-encoded, httpx's query encoding)
NEEDLES = (TOKEN, quote(TOKEN, safe=""), "s3cr3t-T0KEN")
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
ELSEWHERE = "https://example.com/photo.jpg"  # not Alibaba's: converted first


class CapturingTransport(Transport):
    """Keeps every envelope, serialized as it would be sent."""

    envelopes: ClassVar[list[bytes]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        type(self).envelopes.append(envelope.serialize())


def events() -> list[bytes]:
    return [e for e in CapturingTransport.envelopes if b'"type":"event"' in e.split(b"\n")[1]]


def token_hits(blobs: list[bytes]) -> int:
    text = b"\n".join(blobs).decode("utf-8", "replace")
    return sum(text.count(needle) for needle in NEEDLES)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def scenario(name: str, out: list[dict[str, Any]]) -> Iterator[list[int]]:
    before = len(events())
    failed = [0]
    yield failed
    sentry_sdk.flush()
    new = events()[before:]
    out.append(
        {"scenario": name, "failed": failed[0], "events": len(new), "tokens": token_hits(new)}
    )


def sync_call(client: TmapiClient, url: str) -> Callable[[], object]:
    return lambda: client.search_by_image(url)


def run_sync(mode: str, out: list[dict[str, Any]]) -> None:
    codes = [code for code in spec.documented_statuses() if code != 200]
    with local_tmapi_server(errors_by_url={f"code={c}": c for c in codes}) as server:
        for code in codes:
            with (
                scenario(f"sync {mode} {code}", out) as failed,
                TmapiClient(TOKEN, base_url=server.base_url, auth=mode, max_retries=1) as client,  # type: ignore[arg-type]
            ):
                try:
                    client.search_by_image(f"{ALI}?code={code}")
                except TmapiError as error:
                    failed[0] += 1
                    sentry_sdk.capture_exception(error)
        with (
            scenario(f"sync {mode} convert 503", out) as failed,
            local_tmapi_server(
                errors_by_url={}, hook=lambda p, q: (503, spec.error_example(503))
            ) as other,
            TmapiClient(TOKEN, base_url=other.base_url, auth=mode, max_retries=1) as client,  # type: ignore[arg-type]
        ):
            try:
                client.search_by_image(ELSEWHERE)
            except TmapiError as error:
                failed[0] += 1
                sentry_sdk.capture_exception(error)
    with (
        scenario(f"sync {mode} refused", out) as failed,
        TmapiClient(TOKEN, base_url=f"http://127.0.0.1:{free_port()}", auth=mode) as client,  # type: ignore[arg-type]
    ):
        try:
            client.search_by_image(ALI)
        except TmapiError as error:
            failed[0] += 1
            sentry_sdk.capture_exception(error)
    with (
        scenario(f"sync {mode} timeout", out) as failed,
        local_tmapi_server(latency=1.0) as slow,
        TmapiClient(TOKEN, base_url=slow.base_url, auth=mode, timeout=0.1, max_retries=1) as client,  # type: ignore[arg-type]
    ):
        try:
            client.search_by_image(ALI)
        except TmapiError as error:
            failed[0] += 1
            sentry_sdk.capture_exception(error)
    for label, answer in (
        ("malformed", (200, "not an object")),
        ("bad shape", (200, {"code": 200, "msg": "ok", "data": {"page": 1}})),
    ):
        with (
            scenario(f"sync {mode} {label}", out) as failed,
            local_tmapi_server(hook=lambda p, q, a=answer: a) as bad,  # type: ignore[misc]
            TmapiClient(TOKEN, base_url=bad.base_url, auth=mode) as client,  # type: ignore[arg-type]
        ):
            try:
                client.search_by_image(ALI)
            except TmapiError as error:
                failed[0] += 1
                sentry_sdk.capture_exception(error)


async def run_async(mode: str, out: list[dict[str, Any]]) -> None:
    codes = [code for code in spec.documented_statuses() if code != 200]
    with (
        local_tmapi_server(errors_by_url={f"code={c}": c for c in codes}) as server,
        scenario(f"async {mode} codes", out) as failed,
    ):
        async with AsyncTmapiClient(
            TOKEN,
            base_url=server.base_url,
            auth=mode,  # type: ignore[arg-type]
            max_retries=1,
        ) as client:
            for code in codes:
                try:
                    await client.search_by_image(f"{ALI}?code={code}")
                except TmapiError as error:
                    failed[0] += 1
                    sentry_sdk.capture_exception(error)
                # the bulk runner's two-step call
                send = client._search_sender(f"{ALI}?code={code}")
                try:
                    await send()
                except TmapiError as error:
                    failed[0] += 1
                    sentry_sdk.capture_exception(error)
    with scenario(f"async {mode} refused+timeout+malformed", out) as failed:
        async with AsyncTmapiClient(
            TOKEN,
            base_url=f"http://127.0.0.1:{free_port()}",
            auth=mode,  # type: ignore[arg-type]
        ) as client:
            try:
                await client.search_by_image(ALI)
            except TmapiError as error:
                failed[0] += 1
                sentry_sdk.capture_exception(error)
        with local_tmapi_server(latency=1.0) as slow:
            async with AsyncTmapiClient(
                TOKEN,
                base_url=slow.base_url,
                auth=mode,  # type: ignore[arg-type]
                timeout=0.1,
            ) as client:
                try:
                    await client.search_by_image(ALI)
                except TmapiError as error:
                    failed[0] += 1
                    sentry_sdk.capture_exception(error)
        with local_tmapi_server(hook=lambda p, q: (200, ["not", "an", "object"])) as bad:
            async with AsyncTmapiClient(
                TOKEN,
                base_url=bad.base_url,
                auth=mode,  # type: ignore[arg-type]
            ) as client:
                try:
                    await client.search_by_image(ALI)
                except TmapiError as error:
                    failed[0] += 1
                    sentry_sdk.capture_exception(error)


async def run_bulk(mode: str, out: list[dict[str, Any]]) -> None:
    """A bulk run that fails: errors per image, then saving fails and the run stops."""
    from tmapi_search.bulk.runner import BulkRunner, BulkSettings
    from tmapi_search.bulk.store import Store

    with (
        scenario(f"bulk {mode}", out) as failed,
        tempfile.TemporaryDirectory() as tmp,
        local_tmapi_server(errors_by_url={"bad=1": 422, "busy=1": 503}) as server,
    ):
        store = Store(Path(tmp) / "results.sqlite")
        urls = [f"{ALI}?n={i}&bad={int(i % 3 == 0)}&busy={int(i % 3 == 1)}" for i in range(9)]
        store.add_images((f"k{i}", i + 2, url, None, None, "{}") for i, url in enumerate(urls))
        todo = store.images_to_do([f"k{i}" for i in range(9)])
        run_id = store.start_run("catalogue.csv", {})

        def disk_full(*args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        store.save_done = disk_full  # type: ignore[method-assign]
        async with AsyncTmapiClient(TOKEN, base_url=server.base_url, auth=mode) as client:  # type: ignore[arg-type]
            runner = BulkRunner(client, store, BulkSettings(max_items_per_image=2, concurrency=2))
            await runner.run(todo, run_id)
        store.close()
        try:
            raise RuntimeError(f"bulk run {runner.outcome}: {runner.stop_reason}")
        except RuntimeError as error:
            failed[0] += 1
            sentry_sdk.capture_exception(error)


def run_catalogue_failing(mode: str, out: list[dict[str, Any]]) -> None:
    """The engine's Python API: a run the API refuses (401, `raise_for_outcome`), and a
    run refused from inside `run_catalogue` (its database is a folder)."""
    from tmapi_search.bulk import BulkError, run_catalogue

    with (
        scenario(f"run_catalogue {mode}", out) as failed,
        tempfile.TemporaryDirectory() as tmp,
        local_tmapi_server(errors_by_url={"n=": 401, "busy=1": 503}) as server,
    ):
        catalogue = Path(tmp) / "catalogue.csv"
        rows = [f"S{i},{ALI}?n={i}&busy={i % 2}" for i in range(6)]
        catalogue.write_text("sku,img_url\n" + "\n".join(rows) + "\n", encoding="utf-8")
        summary = run_catalogue(
            catalogue, Path(tmp) / "r.sqlite", api_token=TOKEN, base_url=server.base_url, auth=mode
        )
        try:
            summary.raise_for_outcome()
        except BulkError as error:
            failed[0] += 1
            sentry_sdk.capture_exception(error)
        try:  # refused from inside the engine's frames: the database is a folder
            run_catalogue(catalogue, tmp, api_token=TOKEN, base_url=server.base_url, auth=mode)
        except BulkError as error:
            failed[0] += 1
            sentry_sdk.capture_exception(error)


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    with sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=CapturingTransport,
        include_local_variables=True,  # the default, said out loud
    ):
        out: list[dict[str, Any]] = []
        with stamina.set_testing(True, attempts=1000, cap=True):  # retries, but no sleeps
            for mode in ("query", "header"):
                run_sync(mode, out)
                asyncio.run(run_async(mode, out))
                asyncio.run(run_bulk(mode, out))
                run_catalogue_failing(mode, out)
        sentry_sdk.flush()
        print(json.dumps(out))


if __name__ == "__main__":
    main()
