"""Multi-page images: every page paid for is stored before the next one is asked for.

`max_items_per_image` above the page size makes the runner fetch several pages per image.
Each page's items are saved as soon as the page is in (with the page to ask for next), so
a run that stops between pages -- a stop, a 439, a connection error, a later page that
fails for good -- keeps the pages already paid for, and the next run (the same command,
or `--retry-failed`) pays only for the pages still missing.

In-process against the `tmapi_mock` fixture; every answer is a spec example whose item
titles are tagged with the page number (`p2 ...`), so the order of the stored items can
be checked. The paid calls are counted per page.
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tmapi_search import AsyncTmapiClient, spec
from tmapi_search.bulk.export import export
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import ParamsMismatchError, Store
from tmapi_search.testing import TmapiMock

from .conftest import ALI, TOKEN

pytestmark = pytest.mark.usefixtures("no_backoff")

BASE_URL = "https://api.tmapi.io"
#: 3 pages of 2 items (the spec example's two items), asked for with page_size=6
SETTINGS = BulkSettings(max_items_per_image=6, concurrency=1, max_retries=1)
Answer = Callable[[BulkRunner, httpx.Request], httpx.Response]


def page_body(request: httpx.Request, *, v2: bool = False, last_page: int = 3) -> dict[str, Any]:
    """The spec example for the page asked for, its titles tagged with the page number
    (and its offer ids moved: each page holds offers of its own)."""
    page = int(request.url.params["page"])
    body: dict[str, Any] = spec.response_example(spec.SEARCH_V2_PATH if v2 else spec.SEARCH_PATH)
    data = body["data"]
    data["page"] = page
    for item in data["items"]:
        item["title"] = f"p{page} {item['title']}"
        item["item_id"] += (page - 1) * 1_000_000  # other offers on each page
    if v2:
        data["has_next_page"] = page < last_page
    return body


def ok(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=page_body(request), request=request)


def ok_v2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=page_body(request, v2=True), request=request)


def error(code: int, request: httpx.Request) -> httpx.Response:
    return httpx.Response(code, json=spec.error_example(code), request=request)


def page(request: httpx.Request) -> int:
    return int(request.url.params["page"])


def catalogue(path: Path, urls: Sequence[str]) -> Path:
    lines = ["sku,img_url"] + [f"S{i},{url}" for i, url in enumerate(urls)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run(
    mock: TmapiMock,
    store: Store,
    csv_path: Path,
    answer: Answer,
    settings: BulkSettings = SETTINGS,
    *,
    endpoint: str = "search",
    reverse: bool = False,
) -> BulkRunner:
    """One run of the catalogue's to-do rows; `answer(runner, request)` answers each call."""
    rows = read_input(csv_path)
    store.add_images(image.db_row() for image in rows.images)
    todo = store.images_to_do([i.key for i in rows.images], retry_failed=settings.retry_failed)
    if reverse:
        todo.reverse()
    run_id = store.start_run(str(csv_path), {})
    async with AsyncTmapiClient(api_token=TOKEN, base_url=BASE_URL) as client:
        runner = BulkRunner(client, store, settings)
        getattr(mock, endpoint).calls_with(lambda request: answer(runner, request))
        await runner.run(todo, run_id)
    store.finish_run(run_id, runner.outcome)
    return runner


def titles(store: Store, image_id: int) -> list[str]:
    rows = store._db.execute(
        "SELECT position, data FROM items WHERE image_id = ? ORDER BY position", (image_id,)
    ).fetchall()
    assert [row[0] for row in rows] == list(range(len(rows)))  # positions without a gap
    return [str(json.loads(row[1])["title"]).split(" ", 1)[0] for row in rows]


def paid_pages(mock: TmapiMock, endpoint: str = "search") -> list[int]:
    pages = [page(request) for request in getattr(mock, endpoint).requests]
    getattr(mock, endpoint).reset()
    return pages


ALL = ["p1", "p1", "p2", "p2", "p3", "p3"]


# -- 1. the run stops between pages ------------------------------------------------------
@pytest.mark.parametrize("how", ["stop", "billing", "auth", "abandon"])
async def test_a_run_stopped_between_pages_keeps_them_and_resumes_at_the_next(
    tmp_path: Path, tmapi_mock: TmapiMock, how: str
) -> None:
    """Ctrl-C/SIGTERM (`stop`), a 439, a refused token, the grace timeout (`abandon`)."""

    asked: list[int] = []

    def answer(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        asked.append(page(request))
        if page(request) == 2 and how == "stop":
            runner.stop()  # the answer in flight is kept; page 3 is never asked for
        if page(request) == 3 and how == "billing":
            return error(439, request)
        if page(request) == 3 and how == "auth":
            return error(401, request)
        if page(request) == 3 and how == "abandon":
            runner.stop()  # then the grace timeout abandons the call in flight: not kept
            raise asyncio.CancelledError()
        return ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI])
    with Store(tmp_path / "r.sqlite") as store:
        first = await run(tmapi_mock, store, csv_path, answer)
        assert first.outcome != "completed"
        (image,) = store.images()
        assert image.status == "pending"
        assert titles(store, image.id) == ["p1", "p1", "p2", "p2"]
        assert asked == ([1, 2] if how == "stop" else [1, 2, 3])
        paid_pages(tmapi_mock)  # (respx does not record a call that raised CancelledError)

        second = await run(tmapi_mock, store, csv_path, ok)
        assert second.outcome == "completed"
        assert paid_pages(tmapi_mock) == [3]  # only the page still missing
        (image,) = store.images()
        assert (image.status, image.item_count) == ("done", 6)
        assert titles(store, image.id) == ALL
        assert store.counts().items == 6


# -- 2. a later page fails for good, or transiently ----------------------------------------
async def test_a_later_page_failing_for_good_keeps_the_earlier_pages(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def answer(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        return error(422, request) if page(request) == 2 else ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, answer)
        assert paid_pages(tmapi_mock) == [1, 2]
        (image,) = store.images()
        assert (image.status, image.error_class, image.transient) == (
            "failed",
            "ParameterError",
            False,
        )
        assert titles(store, image.id) == ["p1", "p1"]

        # the export shows what was paid for, with the row's status
        out = io.BytesIO()
        counts: dict[str, int] = {}
        assert export(store, "jsonl", out, counts=counts) == 2
        records = [json.loads(line) for line in out.getvalue().decode().splitlines()]
        assert [(r["status"], r["error_code"], r["position"]) for r in records] == [
            ("failed", "ParameterError", 0),
            ("failed", "ParameterError", 1),
        ]
        assert all(r["item"]["title"].startswith("p1 ") for r in records)
        (account,) = store.account()
        assert (account.status, account.item_count) == ("failed", 2)

        # the same command again: a failure for good is not retried
        await run(tmapi_mock, store, csv_path, ok)
        assert paid_pages(tmapi_mock) == []

        # --retry-failed: resumes at page 2, page 1 is not paid again
        retry = BulkSettings(max_items_per_image=6, concurrency=1, retry_failed=True)
        await run(tmapi_mock, store, csv_path, ok, retry)
        assert paid_pages(tmapi_mock) == [2, 3]
        (image,) = store.images()
        assert (image.status, image.error_class) == ("done", None)
        assert titles(store, image.id) == ALL


async def test_a_later_page_failing_transiently_resumes_there_on_the_same_command(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def answer(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        return error(500, request) if page(request) == 3 else ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, answer)
        assert paid_pages(tmapi_mock) == [1, 2, 3, 3]  # page 3 once + its one retry
        (image,) = store.images()
        assert (image.status, image.transient) == ("failed", True)
        assert titles(store, image.id) == ["p1", "p1", "p2", "p2"]
        assert image.attempts == 4

        await run(tmapi_mock, store, csv_path, ok)
        assert paid_pages(tmapi_mock) == [3]
        (image,) = store.images()
        assert image.status == "done" and titles(store, image.id) == ALL
        assert image.attempts == 5


# -- 3. no answer on a later page -----------------------------------------------------------
async def test_a_connection_error_on_a_later_page_keeps_the_earlier_pages(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def answer(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if page(request) == 2:
            raise httpx.ConnectError("connection refused", request=request)
        return ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, answer)
        assert paid_pages(tmapi_mock) == [1, 2, 2]
        (image,) = store.images()
        assert (image.status, image.error_class) == ("pending", "APIConnectionError")
        assert titles(store, image.id) == ["p1", "p1"]

        await run(tmapi_mock, store, csv_path, ok)
        assert paid_pages(tmapi_mock) == [2, 3]
        (image,) = store.images()
        assert image.status == "done" and titles(store, image.id) == ALL


# -- 4. a page that cannot be saved stops the spending --------------------------------------
class FullDiskStore(Store):
    """A real store whose page saves fail after `ok_pages` (a full disk)."""

    def __init__(self, path: Path, ok_pages: int) -> None:
        super().__init__(path)
        self.ok_pages = ok_pages

    def save_page(self, *args: Any, **kwargs: Any) -> None:
        if self.ok_pages <= 0:
            raise sqlite3.OperationalError("database or disk is full")
        self.ok_pages -= 1
        super().save_page(*args, **kwargs)


async def test_a_page_that_cannot_be_saved_stops_the_spending(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    csv_path = catalogue(tmp_path / "in.csv", [f"{ALI}?n={i}" for i in range(5)])
    with FullDiskStore(tmp_path / "r.sqlite", ok_pages=1) as store:
        runner = await run(tmapi_mock, store, csv_path, ok)
        assert runner.outcome == "storage"
        assert runner.stop_reason is not None and "database or disk is full" in runner.stop_reason
        # image 1: page 1 saved, page 2 answered but not saved: no further call at all
        assert paid_pages(tmapi_mock) == [1, 2]
        assert store.counts().pending == 5
        first = store.images()[0]
        assert titles(store, first.id) == ["p1", "p1"]

    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, ok)
        # image 1 resumes at page 2 (the page not saved is paid again: it was not kept)
        assert paid_pages(tmapi_mock) == [2, 3] + [1, 2, 3] * 4
        assert store.counts().done == 5
        assert all(titles(store, image.id) == ALL for image in store.images())


# -- 5. rows sharing one image URL ------------------------------------------------------------
@pytest.mark.parametrize("reverse", [False, True], ids=["same-order", "other-row-resumes"])
async def test_rows_sharing_a_url_resume_one_search_and_all_get_every_page(
    tmp_path: Path, tmapi_mock: TmapiMock, reverse: bool
) -> None:
    """The pages stored for a URL serve whichever of its rows resumes the search."""

    def stop_at_2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if page(request) == 2:
            runner.stop()
        return ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI, f"{ALI}?n=other", ALI, ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, stop_at_2)
        assert paid_pages(tmapi_mock) == [1, 2]
        holder = store.images()[0]
        assert titles(store, holder.id) == ["p1", "p1", "p2", "p2"]
        assert store.counts().pending == 4

        await run(tmapi_mock, store, csv_path, ok, reverse=reverse)
        paid = paid_pages(tmapi_mock)
        assert sorted(paid) == [1, 2, 3, 3]  # the shared URL: page 3 only; the other: 1-3
        accounts = list(store.account())
        assert [a.status for a in accounts] == ["ok"] * 4
        shared = [a for a in accounts if a.img_url == ALI]
        assert all(titles(store, a.image_id) == ALL for a in shared)
        assert sorted(a.served_by is None for a in shared) == [False, False, True]
        assert store.counts().items == 4 * 6


async def test_rows_sharing_a_url_with_a_failed_page_are_failed_and_resume_together(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def answer(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        return error(422, request) if page(request) == 2 else ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI, ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, answer)
        assert paid_pages(tmapi_mock) == [1, 2]
        first, second = store.images()
        assert (first.status, second.status, second.served_by) == ("failed", "failed", first.id)
        assert titles(store, first.id) == ["p1", "p1"]  # stored once, on the row that paid

        retry = BulkSettings(max_items_per_image=6, concurrency=1, retry_failed=True)
        await run(tmapi_mock, store, csv_path, ok, retry, reverse=True)
        assert paid_pages(tmapi_mock) == [2, 3]
        assert [a.status for a in store.account()] == ["ok", "ok"]
        assert all(titles(store, image.id) == ALL for image in store.images())


# -- 6. v2: pages by has_next_page, the converted path reused ---------------------------------
async def test_v2_resumes_at_the_missing_page_with_the_stored_converted_path(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def stop_at_2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if page(request) == 2:
            runner.stop()
        return ok_v2(runner, request)

    per_page = len(spec.response_example(spec.SEARCH_V2_PATH)["data"]["items"])
    settings = BulkSettings(
        search={"page_size": per_page, "language": "en"},
        max_items_per_image=20,
        concurrency=1,
        api="v2",
    )
    csv_path = catalogue(tmp_path / "in.csv", [ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, stop_at_2, settings, endpoint="search_v2")
        assert paid_pages(tmapi_mock, "search_v2") == [1, 2]
        (image,) = store.images()
        assert image.status == "pending"
        assert titles(store, image.id) == ["p1"] * per_page + ["p2"] * per_page

        await run(tmapi_mock, store, csv_path, ok_v2, settings, endpoint="search_v2")
        searched = {r.url.params["img_url"] for r in tmapi_mock.search_v2.requests}
        assert paid_pages(tmapi_mock, "search_v2") == [3]  # has_next_page false on page 3
        assert tmapi_mock.convert.call_count == 1  # the stored path is reused
        assert searched == {image.converted_url}
        (image,) = store.images()
        assert image.status == "done"
        assert titles(store, image.id) == [f"p{n}" for n in (1, 2, 3) for _ in range(per_page)]


async def test_v1_resumes_with_a_fresh_conversion_when_the_stored_path_aged(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    """A non-Alibaba image: the path is reconverted (it aged), the pages are not re-paid."""

    def stop_at_2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if page(request) == 2:
            runner.stop()
        return ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", ["https://shop.example.com/images/a.jpg"])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, stop_at_2)
        assert paid_pages(tmapi_mock) == [1, 2]
        assert tmapi_mock.convert.call_count == 1
        aged = BulkSettings(max_items_per_image=6, concurrency=1, converted_ttl=0.0)
        await run(tmapi_mock, store, csv_path, ok, aged)
        assert tmapi_mock.convert.call_count == 2  # the aged path converted again ...
        assert paid_pages(tmapi_mock) == [3]  # ... and only the missing page searched
        (image,) = store.images()
        assert image.status == "done" and titles(store, image.id) == ALL


# -- 7. the search parameters of stored pages are never mixed ---------------------------------
async def test_stored_pages_of_other_parameters_are_refused_before_any_call(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def stop_at_2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if page(request) == 2:
            runner.stop()
        return ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI])
    with Store(tmp_path / "r.sqlite") as store:
        await run(tmapi_mock, store, csv_path, stop_at_2)
        paid_pages(tmapi_mock)
        other = BulkSettings(max_items_per_image=6, concurrency=1, search={"page_size": 4})
        with pytest.raises(ParamsMismatchError, match="page_size"):
            await run(tmapi_mock, store, csv_path, ok, other)
        assert paid_pages(tmapi_mock) == []
        sorted_by_price = BulkSettings(
            max_items_per_image=6, concurrency=1, search={"sort": "price_up"}
        )
        with pytest.raises(ParamsMismatchError, match="sort"):
            await run(tmapi_mock, store, csv_path, ok, sorted_by_price)
        # more items per image with the same pages: the stored pages still fit
        more = BulkSettings(max_items_per_image=8, concurrency=1, search={"page_size": 6})
        await run(tmapi_mock, store, csv_path, ok, more)
        assert paid_pages(tmapi_mock) == [3, 4]
        (image,) = store.images()
        assert titles(store, image.id) == [*ALL, "p4", "p4"]


# -- 8. a database made by the previous schema ------------------------------------------------
def old_schema(path: Path) -> None:
    """Turn a database into what the schema before stored pages made (no page columns)."""
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX IF EXISTS images_partial")
        db.execute("ALTER TABLE images DROP COLUMN next_page")
        db.execute("ALTER TABLE images DROP COLUMN page_params")


async def test_an_older_database_opens_and_resumes(tmp_path: Path, tmapi_mock: TmapiMock) -> None:
    csv_path = catalogue(tmp_path / "in.csv", [f"{ALI}?n={i}" for i in range(3)])
    db = tmp_path / "r.sqlite"

    def billing_on_image_2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if "n=1" in request.url.params["img_url"]:
            return error(439, request)
        return ok(runner, request)

    with Store(db) as store:
        await run(tmapi_mock, store, csv_path, billing_on_image_2)
    old_schema(db)
    paid_pages(tmapi_mock)
    with Store(db, readonly=True) as store:  # status / export open it as it is
        assert [a.status for a in store.account()] == ["ok", "pending", "pending"]
        counts = store.counts()
        assert (counts.done, counts.pending, counts.items, counts.partial) == (1, 2, 6, 0)
        assert export(store, "csv", io.BytesIO()) == 6 + 2
    with Store(db) as store:
        await run(tmapi_mock, store, csv_path, ok)
        assert paid_pages(tmapi_mock) == [1, 2, 3] * 2
        assert [a.status for a in store.account()] == ["ok"] * 3
        assert all(titles(store, image.id) == ALL for image in store.images())


# -- 9. status and counts keep their meaning ------------------------------------------------
async def test_an_image_with_some_pages_stored_is_not_done(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    def stop_at_2(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        if page(request) == 2:
            runner.stop()
        return ok(runner, request)

    csv_path = catalogue(tmp_path / "in.csv", [ALI, f"{ALI}?n=2"])
    with Store(tmp_path / "r.sqlite") as store:
        runner = await run(tmapi_mock, store, csv_path, stop_at_2)
        assert runner.stats.done == 0
        counts = store.counts()
        assert (counts.done, counts.pending, counts.items) == (0, 2, 4)
        run_row: Mapping[str, Any] = store.runs()[-1]
        assert (run_row["done"], run_row["items"], run_row["calls"]) == (0, 0, 2)
        assert [a.status for a in store.account()] == ["pending", "pending"]
        assert counts.partial == 1  # rows holding some of their pages


async def test_with_concurrency_every_page_is_paid_exactly_once_over_two_runs(
    tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    """30 images, 4 calls in flight, a 439 after 40 answers; then the same command."""
    answered: Counter[tuple[str, int]] = Counter()
    calls = 0

    def billing_after_40(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls > 40:
            return error(439, request)
        answered[request.url.params["img_url"], page(request)] += 1
        return ok(runner, request)

    def counted(runner: BulkRunner, request: httpx.Request) -> httpx.Response:
        answered[request.url.params["img_url"], page(request)] += 1
        return ok(runner, request)

    urls = [f"{ALI}?n={i}" for i in range(30)]
    csv_path = catalogue(tmp_path / "in.csv", urls)
    settings = BulkSettings(max_items_per_image=6, concurrency=4)
    with Store(tmp_path / "r.sqlite") as store:
        first = await run(tmapi_mock, store, csv_path, billing_after_40, settings)
        assert first.outcome == "billing"
        assert store.counts().partial > 0
        await run(tmapi_mock, store, csv_path, counted, settings)
        assert store.counts().done == 30
        assert answered == Counter({(url, n): 1 for url in urls for n in (1, 2, 3)})
        assert all(titles(store, image.id) == ALL for image in store.images())


def test_a_page_with_odd_values_is_saved_whole(tmp_path: Path) -> None:
    """save_page keeps what save_done keeps: an odd lookup value never fails the save."""
    item = spec.response_example()["data"]["items"][0]
    odd = {**item, "item_id": 2**70, "title": ["a", "list"], "price": {"min": "1"}}
    with Store(tmp_path / "r.sqlite") as store:
        store.add_images([("k", 2, ALI, None, None, "{}")])
        run_id = store.start_run("x", {})
        (image,) = store.images()
        store.save_page(
            image.id,
            run_id,
            [odd],
            first_position=0,
            next_page=2,
            page_params="{}",
            total_count=666,
            attempts=1,
        )
        store.save_done(image.id, run_id, [item], total_count=666, attempts=1, first_position=1)
        stored = [json.loads(row[0]) for row in store._db.execute("SELECT data FROM items")]
        assert stored == [odd, item]
        assert store.image(image.id).item_count == 2
