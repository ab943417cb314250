"""Paid work first: no request leaves while an answered image is unsaved.

The runner builds each request before it takes a slot. That may not reorder the one
thing that bounds what a SIGKILL can cost: every answer the API gave is committed
before any further request goes out (so a kill loses at most the calls in flight). The
events are recorded in the client's own order (one event loop): a page parsed, an image
saved, a request handed to httpx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tmapi_search import AsyncTmapiClient
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store
from tmapi_search.testing.local_server import local_tmapi_server

from .conftest import TOKEN, catalogue_csv

pytestmark = pytest.mark.usefixtures("no_backoff")


class Order:
    """Answered-but-unsaved images, checked at every request sent."""

    def __init__(self) -> None:
        self.unsaved = 0
        self.sent = 0
        self.sent_while_unsaved = 0
        self.saved = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        order = self
        parse = AsyncTmapiClient._parse_search
        save_done = Store.save_done
        send = httpx.AsyncClient.send

        def parsed(client: AsyncTmapiClient, response: httpx.Response) -> Any:
            page = parse(client, response)
            order.unsaved += 1  # an answer paid for, in memory only
            return page

        def saved(store: Store, *args: Any, **kwargs: Any) -> None:
            save_done(store, *args, **kwargs)
            order.unsaved -= 1
            order.saved += 1

        async def sending(pool: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
            order.sent += 1
            if order.unsaved:
                order.sent_while_unsaved += 1
            return await send(pool, request, **kw)

        monkeypatch.setattr(AsyncTmapiClient, "_parse_search", parsed)
        monkeypatch.setattr(Store, "save_done", saved)
        monkeypatch.setattr(httpx.AsyncClient, "send", sending)


async def _run(tmp_path: Path, concurrency: int | None, base_url: str) -> None:
    rows = read_input(catalogue_csv(tmp_path / "in.csv", IMAGES))
    with Store(tmp_path / "results.sqlite") as store:
        store.add_images(image.db_row() for image in rows.images)
        todo = store.images_to_do([image.key for image in rows.images])
        run_id = store.start_run("in.csv", {})
        settings = BulkSettings(max_items_per_image=2, concurrency=concurrency)
        async with AsyncTmapiClient(api_token=TOKEN, base_url=base_url) as client:
            runner = BulkRunner(client, store, settings)
            await runner.run(todo, run_id)
        assert runner.outcome == "completed"
        assert store.counts().done == IMAGES


#: real sockets (the local stand-in, 5 ms a call, at most 4 in flight): calls overlap
#: as against the API (an in-process mock answers without ever yielding)
IMAGES = 150


@pytest.mark.parametrize("concurrency", [4, None])
async def test_every_answer_is_saved_before_the_next_request_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, concurrency: int | None
) -> None:
    order = Order()
    order.install(monkeypatch)
    with local_tmapi_server(latency=0.005, cap=4) as server:
        await _run(tmp_path, concurrency, server.base_url)
    assert order.sent >= IMAGES  # auto mode: the 503s of its probes too
    assert order.saved == IMAGES and order.unsaved == 0
    assert order.sent_while_unsaved == 0
