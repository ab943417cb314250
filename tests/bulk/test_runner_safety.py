"""The runner in-process: a dead API, a failing store, rows sharing one image URL.

Deterministic counterparts of the subprocess tests in test_safety.py: the calls are
counted exactly at the `tmapi_mock` fixture (bodies from the spec).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tmapi_search.bulk.runner import BulkSettings
from tmapi_search.bulk.store import Store, normalise_url
from tmapi_search.testing import TmapiMock

from .conftest import ALI, catalogue_csv
from .runner_support import ok, run

pytestmark = pytest.mark.usefixtures("no_backoff")


async def test_a_dead_api_stops_after_twice_the_concurrency(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    tmapi_mock.search.calls_with(refused)
    csv_path = catalogue_csv(tmp_path / "in.csv", 100)
    with Store(tmp_path / "r.sqlite") as store:
        settings = BulkSettings(max_items_per_image=2, concurrency=3, max_retries=2)
        runner = await run(store, csv_path, settings)
        assert runner.outcome == "network"
        assert runner.stop_reason is not None and "6 calls in a row" in runner.stop_reason
        calls = tmapi_mock.search.call_count
        assert 6 <= calls <= 6 + 3  # N = 2 x 3, plus the calls already in flight
        counts = store.counts()
        assert (counts.failed, counts.pending) == (0, 100)
        noted = [i for i in store.images("pending") if i.error_class]
        assert noted and {i.error_class for i in noted} == {"APIConnectionError"}


async def test_an_answer_in_between_resets_the_count(tmp_path: Path, tmapi_mock: TmapiMock) -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls % 3:
            raise httpx.ConnectError("connection reset", request=request)
        return ok(request)

    tmapi_mock.search.calls_with(flaky)
    csv_path = catalogue_csv(tmp_path / "in.csv", 30)
    with Store(tmp_path / "r.sqlite") as store:
        settings = BulkSettings(
            max_items_per_image=2, concurrency=1, max_retries=0, max_connection_failures=3
        )
        runner = await run(store, csv_path, settings)
        assert runner.outcome == "completed"
        counts = store.counts()
        assert counts.failed == 0  # no answer is never the image's fault
        assert counts.done == 10 and counts.pending == 20
        assert runner.stats.left_pending == 20


class FailingStore(Store):
    """A real store whose writes start failing after `ok_saves` images (a full disk)."""

    def __init__(self, path: Path, ok_saves: int) -> None:
        super().__init__(path)
        self.ok_saves = ok_saves
        self.failed_at_call: int | None = None
        self.calls_seen = 0

    def save_done(
        self,
        image_id: int,
        run_id: int,
        items: Sequence[Mapping[str, Any]],
        **kwargs: Any,
    ) -> None:
        if self.ok_saves <= 0:
            if self.failed_at_call is None:
                self.failed_at_call = self.calls_seen
            raise sqlite3.OperationalError("database or disk is full")
        self.ok_saves -= 1
        super().save_done(image_id, run_id, items, **kwargs)


async def test_the_first_failed_write_stops_new_paid_calls(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    store = FailingStore(tmp_path / "r.sqlite", ok_saves=20)

    def counted(request: httpx.Request) -> httpx.Response:
        store.calls_seen += 1
        return ok(request)

    tmapi_mock.search.calls_with(counted)
    csv_path = catalogue_csv(tmp_path / "in.csv", 200)
    with store:
        runner = await run(store, csv_path, BulkSettings(max_items_per_image=2, concurrency=8))
        assert runner.outcome == "storage"
        assert runner.stop_reason is not None and "database or disk is full" in runner.stop_reason
        assert store.failed_at_call is not None
        after = tmapi_mock.search.call_count - store.failed_at_call
        assert after <= 8  # only the calls already in flight
        assert store.counts().done == 20


async def test_rows_with_the_same_url_share_one_search(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = tmp_path / "in.csv"
    csv_path.write_text(
        f"sku,img_url\nA,{ALI}\nB,{ALI}\n,{ALI}\nC, {ALI}#x\nD,{ALI}?other=1\n", encoding="utf-8"
    )
    with Store(tmp_path / "r.sqlite") as store:
        runner = await run(store, csv_path, BulkSettings(max_items_per_image=2, concurrency=4))
        assert tmapi_mock.search.call_count == 2
        assert runner.stats.shared == 3
        accounts = list(store.account())
        assert [a.status for a in accounts] == ["ok"] * 5
        assert [a.item_count for a in accounts] == [2] * 5
        assert [a.served_by for a in accounts] == [None, 2, 2, 2, None]
        assert store.counts().items == 10


def test_normalise_url() -> None:
    assert normalise_url(" HTTPS://Img.Example.COM:443/a.jpg#frag ") == (
        "https://img.example.com/a.jpg"
    )
    assert normalise_url("http://img.example.com:8080/a.jpg?x=1") == (
        "http://img.example.com:8080/a.jpg?x=1"
    )
    assert normalise_url("https://img.example.com/A.jpg") != normalise_url(
        "https://img.example.com/a.jpg"
    )
    assert normalise_url("/search/imgextra/x.jpg") == "/search/imgextra/x.jpg"
