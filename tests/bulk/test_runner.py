"""The bulk runner in-process, against the `tmapi_mock` fixture (bodies from the spec)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tmapi_search import AsyncTmapiClient, spec
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store
from tmapi_search.testing import TmapiMock

from .conftest import ALI, TOKEN, catalogue_csv

pytestmark = pytest.mark.usefixtures("no_backoff")

BASE_URL = "https://api.tmapi.io"


def error(code: int, request: httpx.Request) -> httpx.Response:
    return httpx.Response(code, json=spec.error_example(code), request=request)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=spec.response_example(), request=request)


async def run_bulk(
    tmp_path: Path, csv_path: Path, settings: BulkSettings | None = None
) -> tuple[BulkRunner, Store]:
    rows = read_input(csv_path)
    store = Store(tmp_path / "results.sqlite")
    store.add_images(image.db_row() for image in rows.images)
    settings = settings or BulkSettings(max_items_per_image=2, concurrency=8)
    todo = store.images_to_do([i.key for i in rows.images], retry_failed=settings.retry_failed)
    run_id = store.start_run(str(csv_path), {})
    async with AsyncTmapiClient(api_token=TOKEN, base_url=BASE_URL) as client:
        runner = BulkRunner(client, store, settings)
        await runner.run(todo, run_id)
    store.finish_run(run_id, runner.outcome)
    return runner, store


async def test_a_few_hundred_images_each_searched_once(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 300)
    runner, store = await run_bulk(tmp_path, csv_path)
    with store:
        counts = store.counts()
        assert (counts.done, counts.failed, counts.pending) == (300, 0, 0)
        assert counts.items == 600
        searched = [r.url.params["img_url"] for r in tmapi_mock.search.requests]
        assert len(searched) == len(set(searched)) == 300
        assert tmapi_mock.convert.call_count == 0  # alicdn: no conversion
    assert runner.outcome == "completed"
    assert runner.stats.done == 300


async def test_422_marks_one_image_failed_and_the_run_goes_on(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 40, marker="&bad=1")

    def answer(request: httpx.Request) -> httpx.Response:
        return error(422, request) if "bad=1" in request.url.params["img_url"] else ok(request)

    tmapi_mock.search.calls_with(answer)
    runner, store = await run_bulk(tmp_path, csv_path)
    with store:
        failed = store.images("failed")
        assert len(failed) == 6
        assert {f.error_class for f in failed} == {"ParameterError"}
        assert all(f.transient is False and f.attempts == 1 for f in failed)
        assert store.counts().done == 34
    assert runner.outcome == "completed"
    assert tmapi_mock.search.call_count == 40  # 422 is never retried

    # a rerun does not pay again for a 422 ...
    tmapi_mock.search.reset()
    tmapi_mock.search.calls_with(answer)
    _, store = await run_bulk(tmp_path, csv_path)
    store.close()
    assert tmapi_mock.search.call_count == 0
    # ... unless asked to
    _, store = await run_bulk(
        tmp_path,
        csv_path,
        BulkSettings(max_items_per_image=2, concurrency=4, retry_failed=True),
    )
    store.close()
    assert tmapi_mock.search.call_count == 6


async def test_439_stops_the_whole_run_with_progress_kept(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 200)
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return ok(request) if calls <= 50 else error(439, request)

    tmapi_mock.search.calls_with(answer)
    runner, store = await run_bulk(tmp_path, csv_path)
    with store:
        counts = store.counts()
        assert runner.outcome == "billing"
        assert "439" in (runner.stop_reason or "")
        assert counts.done == 50
        assert counts.failed == 0  # a billing state is not the images' fault: still pending
        assert counts.pending == 150
        assert counts.items == 100
        assert store.runs()[0]["outcome"] == "billing"
    # no call started after the 439, only those already in flight could end
    assert tmapi_mock.search.call_count <= 50 + 8

    # after topping up, the same run resumes: only the pending 150 are searched
    tmapi_mock.search.reset()
    runner, store = await run_bulk(tmp_path, csv_path)
    with store:
        assert store.counts().done == 200
        assert store.counts().items == 400
    assert tmapi_mock.search.call_count == 150


async def test_transient_errors_are_retried_then_left_for_a_rerun(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 10)
    seen: dict[str, int] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        url = request.url.params["img_url"]
        seen[url] = seen.get(url, 0) + 1
        if url.endswith("n=3"):
            return error(500, request)  # always
        if seen[url] == 1:
            return error(417, request)  # once, then fine
        return ok(request)

    tmapi_mock.search.calls_with(answer)
    runner, store = await run_bulk(tmp_path, csv_path)
    with store:
        (failed,) = store.images("failed")
        assert failed.error_class == "ServerError"
        assert failed.transient is True
        assert failed.attempts == 3  # 1 + max_retries
        assert store.counts().done == 9
    assert runner.stats.retrying == 0

    tmapi_mock.search.reset()  # the server recovered: a rerun retries the transient failure
    _, store = await run_bulk(tmp_path, csv_path)
    with store:
        assert store.counts().done == 10
    assert tmapi_mock.search.call_count == 1


async def test_non_alibaba_image_is_converted_once_and_the_path_kept(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = tmp_path / "in.csv"
    csv_path.write_text(f"img_url\nhttps://shop.example.com/p/1.jpg\n{ALI}\n")
    recovered = False

    def answer(request: httpx.Request) -> httpx.Response:
        converted_path = request.url.params["img_url"].startswith("/search/")
        return error(500, request) if converted_path and not recovered else ok(request)

    tmapi_mock.search.calls_with(answer)
    settings = BulkSettings(max_items_per_image=2, concurrency=1)
    _, store = await run_bulk(tmp_path, csv_path, settings)
    converted = spec.response_example(spec.CONVERT_PATH, "post")["data"]["image_url"]
    with store:
        first = store.images()[0]
        assert first.status == "failed"
        assert first.converted_url == converted
    assert tmapi_mock.convert.call_count == 1

    recovered = True
    _, store = await run_bulk(tmp_path, csv_path)
    with store:
        assert store.counts().done == 2
    assert tmapi_mock.convert.call_count == 1  # never paid twice
    assert tmapi_mock.search.params()["img_url"] == converted


def other_offers_each_page(request: httpx.Request) -> httpx.Response:
    """The spec example, its offer ids moved by the page number: no offer on two pages."""
    body = spec.response_example()
    for item in body["data"]["items"]:
        item["item_id"] += (int(request.url.params["page"]) - 1) * 1_000_000
    return httpx.Response(200, json=body, request=request)


async def test_paging_per_image_stops_at_max_items(tmp_path: Path, tmapi_mock: TmapiMock) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 3)
    tmapi_mock.search.calls_with(other_offers_each_page)
    _, store = await run_bulk(
        tmp_path, csv_path, BulkSettings(max_items_per_image=5, concurrency=2)
    )
    with store:
        assert store.counts().items == 15  # 2 + 2 + 1 per image
    pages = sorted(int(r.url.params["page"]) for r in tmapi_mock.search.requests)
    assert pages == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert {r.url.params["page_size"] for r in tmapi_mock.search.requests} == {"5"}


async def test_paging_stops_when_the_api_repeats_its_offers(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    """The vendor's example answer on every page: the same 2 offers again and again."""
    csv_path = catalogue_csv(tmp_path / "in.csv", 3)
    runner, store = await run_bulk(
        tmp_path, csv_path, BulkSettings(max_items_per_image=20, concurrency=2)
    )
    with store:
        assert store.counts().items == 6  # 2 offers per image, each stored once
        ids = store._db.execute("SELECT image_id, item_id FROM items").fetchall()
    assert len(set(map(tuple, ids))) == len(ids)
    pages = sorted(int(r.url.params["page"]) for r in tmapi_mock.search.requests)
    assert pages == [1, 1, 1, 2, 2, 2]  # page 2 brought nothing new: no page 3
    assert runner.stats.repeats_stopped == 3


async def test_token_is_not_in_the_database(tmp_path: Path, tmapi_mock: TmapiMock) -> None:
    csv_path = catalogue_csv(tmp_path / "in.csv", 20, marker="&bad=1")

    def answer(request: httpx.Request) -> httpx.Response:
        return error(422, request) if "bad=1" in request.url.params["img_url"] else ok(request)

    tmapi_mock.search.calls_with(answer)
    _, store = await run_bulk(tmp_path, csv_path)
    store.close()
    assert all(r.url.params["apiToken"] == TOKEN for r in tmapi_mock.search.requests)
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path


async def test_auto_concurrency_finds_a_hidden_cap_without_failing_images(
    tmp_path: Path,
) -> None:
    """A real local server with a cap of 4 the runner is not told: 503s, then no failures.

    Each answer takes 150 ms, so that even a CPU-starved client (a loaded CI box) has more
    than 4 calls in flight once its limit grows: with 20 ms answers it sometimes never did.
    """
    from tmapi_search.testing.local_server import LocalTmapiServer

    rows = read_input(catalogue_csv(tmp_path / "in.csv", 60))
    with LocalTmapiServer(latency=0.15, cap=4) as server, Store(tmp_path / "r.sqlite") as store:
        store.add_images(image.db_row() for image in rows.images)
        todo = store.images_to_do([i.key for i in rows.images])
        run_id = store.start_run("in.csv", {})
        settings = BulkSettings(max_items_per_image=2, concurrency=None, max_concurrency=16)
        async with AsyncTmapiClient(api_token=TOKEN, base_url=server.base_url) as client:
            runner = BulkRunner(client, store, settings)
            stats = await runner.run(todo, run_id)
        counts = store.counts()
        assert (counts.done, counts.failed) == (60, 0)
        assert stats.refused_503 == server.rejected > 0  # it did probe above the cap ...
        assert runner.limiter.decreases >= 1  # ... and backed off
        assert runner.limiter.peak >= 4
        assert runner.limiter.limit <= 16
        assert server.search_calls == 60  # accepted calls: each image once
