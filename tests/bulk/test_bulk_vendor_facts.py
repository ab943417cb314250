"""The vendor as it is, in the bulk runner: v2, converted paths that age, the observed 401.

In-process against the `tmapi_mock` fixture (bodies from the spec), and the real CLI
against the local server (`--api v2`, exports with the v2 columns).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli_support import run_cli
from tmapi_search import AsyncTmapiClient, spec
from tmapi_search.bulk.export import export
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import CONVERTED_TTL, BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store
from tmapi_search.testing import TmapiMock
from tmapi_search.testing.local_server import LocalTmapiServer

from .conftest import TOKEN, catalogue_csv

pytestmark = pytest.mark.usefixtures("no_backoff")

BASE_URL = "https://api.tmapi.io"
OTHER = "https://shop.example.com/img"
V2_ITEMS = spec.response_example(spec.SEARCH_V2_PATH, "get", 200)["data"]["items"]


def other_csv(path: Path, n: int) -> Path:
    lines = ["sku,img_url"] + [f"SKU-{i},{OTHER}/{i}.jpg" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run_bulk(
    db: Path, csv_path: Path, settings: BulkSettings, before: object = None
) -> tuple[BulkRunner, Store]:
    rows = read_input(csv_path)
    store = Store(db)
    store.add_images(image.db_row() for image in rows.images)
    if callable(before):
        before(store)
    todo = store.images_to_do([i.key for i in rows.images], retry_failed=settings.retry_failed)
    run_id = store.start_run(str(csv_path), {})
    async with AsyncTmapiClient(api_token=TOKEN, base_url=BASE_URL) as client:
        runner = BulkRunner(client, store, settings)
        await runner.run(todo, run_id)
    store.finish_run(run_id, runner.outcome)
    return runner, store


# -- v2 -----------------------------------------------------------------------------------
async def test_v2_converts_every_url_for_v2_and_pages_on_has_next_page(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 5)  # alicdn URLs: v1 would not convert
    tmapi_mock.search_v2.success(transform=lambda b: b["data"].update(has_next_page=True))

    def last_page(body: dict[str, Any]) -> None:
        body["data"]["has_next_page"] = False
        for item in body["data"]["items"]:  # other offers than page 1's
            item["item_id"] += 1_000_000

    tmapi_mock.search_v2.success(transform=last_page)
    settings = BulkSettings(
        search={"language": "en", "page_size": 3, "price_start": "2"},
        max_items_per_image=10,
        concurrency=1,
        api="v2",
    )
    _runner, store = await run_bulk(tmp_path / "r.sqlite", csv_path, settings)
    with store:
        assert store.counts().done == 5
        # image 1: two pages (has_next_page true, then false); the others: the last
        # queued answer (has_next_page false) once each
        assert store.counts().items == 3 + 3 + 4 * 3
    bodies = [json.loads(r.content) for r in tmapi_mock.convert.requests]
    assert len(bodies) == 5
    assert {b["search_api_endpoint"] for b in bodies} == {"/global/search/image/v2"}
    assert tmapi_mock.search.call_count == 0
    params = tmapi_mock.search_v2.params(0)
    assert params["img_url"].startswith("/search/") and params["price_start"] == "2"


async def test_v2_export_carries_the_v2_columns(tmp_path: Path, tmapi_mock: TmapiMock) -> None:
    csv_path = other_csv(tmp_path / "in.csv", 2)
    tmapi_mock.search_v2.success(transform=lambda b: b["data"].update(has_next_page=False))
    settings = BulkSettings(search={"page_size": 20}, max_items_per_image=20, api="v2")
    _runner, store = await run_bulk(tmp_path / "r.sqlite", csv_path, settings)
    with store:
        store.check_params({"page_size": 20, "max_items_per_image": 20, "api": "v2"})
        jsonl, table = io.BytesIO(), io.BytesIO()
        assert export(store, "jsonl", jsonl) == export(store, "csv", table) == 6
    records = [json.loads(line) for line in jsonl.getvalue().decode().splitlines()]
    assert [r["item"] for r in records[:3]] == V2_ITEMS  # every v2 field, as the API sent it
    rows = list(csv.DictReader(io.StringIO(table.getvalue().decode())))
    for column in (
        "currency",
        "moq",
        "price_info.sale_price",
        "sale_info.sale_quantity_90days",
        "shop_info.score_info.composite_score",
        "shop_info.shop_years",
        "shop_info.is_powerful_seller",
        "low_refund_rate",
        "ship_in_48h",
        "one_piece_min_order",
    ):
        assert f"item.{column}" in rows[0], column
    assert rows[0]["item.shop_info.score_info.composite_score"] == "4.0"


# -- converted paths age ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("age", "reconverted"),
    [
        (10 * 60, False),  # younger than the TTL: reused, not paid for again
        (CONVERTED_TTL + 60, True),  # older: reconverted before searching
        (None, True),  # stored without a time (an older version): counts as old
    ],
)
async def test_resumed_run_reconverts_paths_older_than_the_ttl(
    tmp_path: Path, tmapi_mock: TmapiMock, age: float | None, reconverted: bool
) -> None:
    csv_path = other_csv(tmp_path / "in.csv", 1)
    db = tmp_path / "r.sqlite"
    stale = "/search/imgextra/old-path.jpg"

    def converted_earlier(store: Store) -> None:
        image_id = store.images()[0].id
        if age is None:
            store.save_converted(image_id, stale)
            with sqlite3.connect(db) as raw:
                raw.execute("UPDATE images SET converted_at = NULL")
        else:
            store.save_converted(image_id, stale, now=time.time() - age)

    settings = BulkSettings(max_items_per_image=2, concurrency=1)
    _, store = await run_bulk(db, csv_path, settings, before=converted_earlier)
    fresh = spec.response_example(spec.CONVERT_PATH, "post", 200)["data"]["image_url"]
    assert tmapi_mock.convert.call_count == (1 if reconverted else 0)
    assert tmapi_mock.search.params()["img_url"] == (fresh if reconverted else stale)
    with store:
        record = store.images()[0]
        assert record.status == "done"
        assert record.converted_url == (fresh if reconverted else stale)
        if reconverted:
            assert record.converted_at is not None and time.time() - record.converted_at < 60


def _422_for(paths: set[str]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["img_url"] in paths:
            return httpx.Response(422, json=spec.error_example(422))
        return httpx.Response(200, json=spec.response_example())

    return answer


async def test_422_on_a_converted_path_reconverts_once_and_retries_once(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = other_csv(tmp_path / "in.csv", 1)
    stale = "/search/imgextra/expired-early.jpg"
    tmapi_mock.search.calls_with(_422_for({stale}))

    def converted_just_now(store: Store) -> None:
        store.save_converted(store.images()[0].id, stale)

    settings = BulkSettings(max_items_per_image=2, concurrency=1)
    _runner, store = await run_bulk(
        tmp_path / "r.sqlite", csv_path, settings, before=converted_just_now
    )
    assert tmapi_mock.convert.call_count == 1 and tmapi_mock.search.call_count == 2
    with store:
        assert store.images()[0].status == "done"


async def test_a_second_422_fails_the_image_without_a_third_conversion(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = other_csv(tmp_path / "in.csv", 1)
    fresh = spec.response_example(spec.CONVERT_PATH, "post", 200)["data"]["image_url"]
    tmapi_mock.search.calls_with(_422_for({fresh}))
    settings = BulkSettings(max_items_per_image=2, concurrency=1)
    _runner, store = await run_bulk(tmp_path / "r.sqlite", csv_path, settings)
    assert tmapi_mock.convert.call_count == 2  # the first conversion, and one reconversion
    assert tmapi_mock.search.call_count == 2
    with store:
        record = store.images()[0]
        assert (record.status, record.error_class) == ("failed", "ParameterError")


async def test_422_for_an_unconverted_url_is_not_a_reason_to_convert(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 1)
    tmapi_mock.search.error(422)
    await run_bulk(tmp_path / "r.sqlite", csv_path, BulkSettings(concurrency=1))
    assert tmapi_mock.convert.call_count == 0 and tmapi_mock.search.call_count == 1


# -- the observed 401 ---------------------------------------------------------------------
@pytest.mark.parametrize("in_body", [False, True])
async def test_observed_401_stops_the_run(
    tmp_path: Path, tmapi_mock: TmapiMock, in_body: bool
) -> None:
    tmapi_mock.search.error(401, in_body=in_body)
    csv_path = catalogue_csv(tmp_path / "in.csv", 20)
    runner, store = await run_bulk(tmp_path / "r.sqlite", csv_path, BulkSettings(concurrency=1))
    assert runner.outcome == "auth"
    assert runner.stop_reason and "no API key found in request" in runner.stop_reason
    with store:
        assert store.counts().pending == 20  # nothing marked failed: it is not theirs


# -- the CLI, for real --------------------------------------------------------------------
def test_cli_bulk_api_v2_then_export(tmp_path: Path) -> None:
    csv_path = other_csv(tmp_path / "in.csv", 3)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(converted_ttl=3600) as server:
        result = run_cli(
            "--auth", "header", "bulk", str(csv_path), "--db", str(db), "--api", "v2",
            "--price-start", "2", "--max-items-per-image", "3", "--no-progress",
            base_url=server.base_url,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert server.convert_calls == 3 and server.search_v2_calls == 3
        assert server.auth_seen == {"header": 6} and server.stale_rejected == 0
        # the same options resume (nothing to do); v1 options on this database are refused
        again = run_cli(
            "bulk", str(csv_path), "--db", str(db), "--api", "v2", "--price-start", "2",
            "--max-items-per-image", "3", "--no-progress", base_url=server.base_url,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert server.convert_calls == 3  # fresh paths were not paid for again
        v1 = run_cli(
            "bulk", str(csv_path), "--db", str(db), "--max-items-per-image", "3",
            "--no-progress", base_url=server.base_url,
        )  # fmt: skip
        assert v1.returncode == 2 and "--db" in v1.stderr and "same options" in v1.stderr
    out = tmp_path / "out.csv"
    exported = run_cli("export", "--db", str(db), "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 9
    v2_columns = {"currency", "shop_info.score_info.composite_score", "one_piece_min_order"}
    assert {f"item.{column}" for column in v2_columns} <= set(rows[0])
