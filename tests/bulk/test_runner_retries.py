"""The runner's retries: a call's first attempt skips stamina, and errors are retried as before.

The happy path makes each call directly; stamina takes over only once a call failed and
must then decide exactly as when it made every attempt itself: a 503 in auto mode goes
back in line at once (its own budget), other transient errors wait `backoff_delay` (up to
`max_retries`), 439 stops the run with no retry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tmapi_search import AsyncTmapiClient, spec
from tmapi_search.bulk import runner as runner_module
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store
from tmapi_search.testing import TmapiMock

from .conftest import TOKEN, catalogue_csv

pytestmark = pytest.mark.usefixtures("no_backoff")

BASE_URL = "https://api.tmapi.io"


def error(code: int, request: httpx.Request) -> httpx.Response:
    return httpx.Response(code, json=spec.error_example(code), request=request)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=spec.response_example(), request=request)


class Spy:
    """Counts the runner's retry loops and records each backoff wait it asks for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loops = 0
        self.backoffs: list[tuple[str, int]] = []
        real_retry = BulkRunner._retry
        real_delay = runner_module.backoff_delay

        async def retry(runner: BulkRunner, *args: Any) -> Any:
            self.loops += 1
            return await real_retry(runner, *args)

        def backoff_delay(error: Exception, retry: int) -> float:
            self.backoffs.append((type(error).__name__, retry))
            return real_delay(error, retry)  # type: ignore[arg-type]

        monkeypatch.setattr(BulkRunner, "_retry", retry)
        monkeypatch.setattr(runner_module, "backoff_delay", backoff_delay)


async def run_bulk(
    tmp_path: Path,
    n: int,
    answer: Callable[[httpx.Request], httpx.Response],
    mock: TmapiMock,
    settings: BulkSettings,
) -> tuple[BulkRunner, Store]:
    mock.search.calls_with(answer)
    rows = read_input(catalogue_csv(tmp_path / "in.csv", n))
    store = Store(tmp_path / "results.sqlite")
    store.add_images(image.db_row() for image in rows.images)
    todo = store.images_to_do([i.key for i in rows.images])
    run_id = store.start_run("in.csv", {})
    async with AsyncTmapiClient(api_token=TOKEN, base_url=BASE_URL) as client:
        runner = BulkRunner(client, store, settings)
        await runner.run(todo, run_id)
    store.finish_run(run_id, runner.outcome)
    return runner, store


def by_image(answers: Callable[[str, int], int]) -> Callable[[httpx.Request], httpx.Response]:
    """An answer per image URL and attempt number (1, 2, ...): the HTTP status to send."""
    seen: dict[str, int] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        url = request.url.params["img_url"]
        seen[url] = seen.get(url, 0) + 1
        status = answers(url, seen[url])
        return ok(request) if status == 200 else error(status, request)

    return answer


async def test_the_happy_path_never_enters_the_retry_loop(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    settings = BulkSettings(max_items_per_image=2, concurrency=4)
    runner, store = await run_bulk(tmp_path, 30, ok, tmapi_mock, settings)
    with store:
        assert store.counts().done == 30
    assert runner.stats.calls == 30
    assert spy.loops == 0 and spy.backoffs == []


async def test_5xx_is_retried_with_backoff_up_to_max_retries_then_failed_transient(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    # n=3 always answers 500; n=5 answers 417 once, then fine; the rest are fine
    answer = by_image(
        lambda url, k: (
            500 if url.endswith("n=3") else 417 if url.endswith("n=5") and k == 1 else 200
        )
    )
    settings = BulkSettings(max_items_per_image=2, concurrency=2, max_retries=2)
    runner, store = await run_bulk(tmp_path, 8, answer, tmapi_mock, settings)
    with store:
        (failed,) = store.images("failed")
        assert failed.img_url.endswith("n=3")
        assert (failed.error_class, failed.transient, failed.attempts) == ("ServerError", True, 3)
        (flaky,) = [r for r in store.images("done") if r.img_url.endswith("n=5")]
        assert flaky.attempts == 2
        assert store.counts().done == 7
    # one loop per failed call; the waits are the client's policy, per retry of that call
    assert spy.loops == 2
    assert sorted(spy.backoffs) == [
        ("DataRetrievalError", 0),
        ("ServerError", 0),
        ("ServerError", 1),
    ]
    assert runner.stats.calls == 8 + 2 + 1
    assert runner.stats.retrying == 0


async def test_503_in_auto_mode_goes_back_in_line_at_once_beyond_max_retries(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    # every image is refused four times (more than max_retries=1), then answered
    answer = by_image(lambda url, k: 503 if k <= 4 else 200)
    settings = BulkSettings(max_items_per_image=2, concurrency=None, max_retries=1)
    runner, store = await run_bulk(tmp_path, 6, answer, tmapi_mock, settings)
    with store:
        assert store.counts().done == 6
        assert {r.attempts for r in store.images("done")} == {5}
    assert runner.stats.refused_503 == 6 * 4
    assert spy.backoffs == []  # no backoff wait: the limiter slowed down instead
    assert spy.loops == 6
    assert runner.limiter.decreases >= 1


async def test_503_with_a_fixed_concurrency_is_an_ordinary_transient_error(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    answer = by_image(lambda url, k: 503)
    settings = BulkSettings(max_items_per_image=2, concurrency=2, max_retries=2)
    runner, store = await run_bulk(tmp_path, 2, answer, tmapi_mock, settings)
    with store:
        failed = store.images("failed")
        assert [(r.error_class, r.transient, r.attempts) for r in failed] == [
            ("ConcurrencyLimitError", True, 3)
        ] * 2
    assert (
        sorted(spy.backoffs)
        == [("ConcurrencyLimitError", 0)] * 2 + [("ConcurrencyLimitError", 1)] * 2
    )
    assert runner.stats.calls == 6


@pytest.mark.parametrize("after_a_retry", [False, True])
async def test_439_stops_the_run_without_a_retry(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch, after_a_retry: bool
) -> None:
    spy = Spy(monkeypatch)
    seen: list[int] = []

    def status(url: str, k: int) -> int:
        if not url.endswith("n=0"):
            return 200
        seen.append(k)
        return 500 if after_a_retry and k == 1 else 439

    settings = BulkSettings(max_items_per_image=2, concurrency=1, max_retries=2)
    runner, store = await run_bulk(tmp_path, 5, by_image(status), tmapi_mock, settings)
    with store:
        assert store.counts().failed == 0
        (zero,) = [r for r in store.images() if r.img_url.endswith("n=0")]
        assert zero.status == "pending"  # a billing state is not the image's fault
    assert runner.outcome == "billing"
    assert seen == ([1, 2] if after_a_retry else [1])  # 439 is never retried
    assert spy.backoffs == ([("ServerError", 0)] if after_a_retry else [])
