"""`tmapi-search bulk` against hostile servers, and a worker that dies of a bug.

Over the nested, endless and drip modes (and 429): a documented non-zero exit code,
every row left pending with its error, no hang, no traceback; the same command run
again against a healthy server finishes them. A worker's unexpected exception stops
the run (exit 7): the results paid for are saved, the rows not finished stay pending,
the message names the cause.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stamina

from tests.bulk.runner_support import ok, run
from tests.cli_support import TOKEN, run_cli
from tmapi_search._scrub import token_pattern
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store
from tmapi_search.bulk.summary import Counts, RunSummary
from tmapi_search.cli.bulk_summary import exit_code as _exit_for
from tmapi_search.cli.exit_codes import EXIT_API, EXIT_ERROR, EXIT_NETWORK
from tmapi_search.testing import TmapiMock

from .server import HostileServer

ROWS = 5
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def catalogue(path: Path, rows: int = ROWS) -> Path:
    lines = ["sku,img_url"] + [f"SKU-{i},{ALI}?n={i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def statuses(db: Path) -> dict[str, list[str | None]]:
    with sqlite3.connect(db) as conn:
        found: dict[str, list[str | None]] = {}
        for status, error_class in conn.execute("SELECT status, error_class FROM images"):
            found.setdefault(status, []).append(error_class)
        return found


def bulk(csv_path: Path, db: Path, base_url: str, *extra: str) -> Any:
    return run_cli(
        "-vv",
        "--timeout",
        "2",
        "--max-retries",
        "0",
        *extra,
        "bulk",
        str(csv_path),
        "--db",
        str(db),
        "--max-items-per-image",
        "2",
        "--concurrency",
        "2",
        "--no-progress",
        base_url=base_url,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("mode", "code", "error_class"),
    [
        ("nested", EXIT_API, "MalformedValueError"),
        ("endless", EXIT_API, "ResponseTooLargeError"),
        ("drip", EXIT_NETWORK, "DeadlineExceededError"),
        ("429", EXIT_API, "RateLimitError"),
    ],
)
def test_bulk_leaves_rows_pending_then_a_rerun_finishes(
    mode: str, code: int, error_class: str, tmp_path: Path
) -> None:
    csv_path, db = catalogue(tmp_path / "in.csv"), tmp_path / "run.sqlite"
    with HostileServer(mode, lifetime=60) as server:
        result = bulk(csv_path, db, server.base_url)
    assert result.returncode == code, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert error_class in result.stderr  # -vv says what happened
    found = statuses(db)
    assert set(found) == {"pending"}, found  # none failed for good, none "done"
    assert error_class in found["pending"]
    for text in (result.stdout, result.stderr, db.read_bytes().decode("latin-1")):
        assert not token_pattern(TOKEN).search(text)
    with HostileServer("healthy") as server:
        again = bulk(csv_path, db, server.base_url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(statuses(db)) == {"done"}


def test_bulk_cuts_an_oversized_page_and_records_it_as_drift(tmp_path: Path) -> None:
    csv_path, db = catalogue(tmp_path / "in.csv"), tmp_path / "run.sqlite"
    with HostileServer("oversized_page", lifetime=60) as server:
        result = bulk(csv_path, db, server.base_url)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert stored <= 2 * ROWS  # --max-items-per-image 2: the 1,000-item pages were cut
    report = run_cli("drift", "--db", str(db), "--format", "json")
    assert report.returncode == 1, report.stderr[-3000:]
    assert '"data.items"' in report.stdout and '"size"' in report.stdout, report.stdout


# -- a worker that dies of an exception nobody expected ----------------------------------
@pytest.fixture
def no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


@pytest.mark.usefixtures("no_backoff")
async def test_a_worker_exception_stops_the_run_and_keeps_what_was_paid(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmapi_mock.search.calls_with(ok)
    original = BulkRunner._take_page
    taken = 0

    def take_page(self: BulkRunner, image: Any, data: Any) -> bool:
        nonlocal taken
        taken += 1
        if taken == 4:
            raise RuntimeError("injected: a bug in the worker")
        return original(self, image, data)

    monkeypatch.setattr(BulkRunner, "_take_page", take_page)
    csv_path = catalogue(tmp_path / "in.csv", 20)
    with Store(tmp_path / "r.sqlite") as store:
        settings = BulkSettings(max_items_per_image=2, concurrency=1, max_retries=0)
        runner = await run(store, csv_path, settings)
        assert runner.outcome == "error"
        assert runner.stop_reason is not None
        assert "RuntimeError: injected: a bug in the worker" in runner.stop_reason
        assert "line 5" in runner.stop_reason
        counts = store.counts()
        assert counts.done == 3  # the answers paid for before the crash are saved
        assert counts.failed == 0 and counts.pending == 17
        crashed = [i for i in store.images("pending") if i.error_class]
        assert [i.error_class for i in crashed] == ["RuntimeError"]
        assert tmapi_mock.search.call_count == 4  # no call started after it
        assert (
            _exit_for(RunSummary(db=store.path, outcome=runner.outcome, counts=Counts()))
            == EXIT_ERROR
        )


@pytest.mark.usefixtures("no_backoff")
async def test_an_exception_while_handing_out_rows_stops_the_run(
    tmp_path: Path, tmapi_mock: TmapiMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmapi_mock.search.calls_with(ok)

    def dispatch(self: BulkRunner, record: Any) -> Any:
        raise KeyError("injected")

    monkeypatch.setattr(BulkRunner, "_dispatch", dispatch)
    csv_path = catalogue(tmp_path / "in.csv", 3)
    with Store(tmp_path / "r.sqlite") as store:
        runner = await run(store, csv_path, BulkSettings(concurrency=1))
        assert runner.outcome == "error"
        assert runner.stop_reason is not None and "KeyError" in runner.stop_reason
        assert store.counts().pending == 3
        assert tmapi_mock.search.call_count == 0


def test_exit_codes_of_unusable_answers(tmp_path: Path) -> None:
    def summary(**fields: Any) -> RunSummary:
        return RunSummary(db=tmp_path, counts=Counts(), **fields)

    assert _exit_for(summary(outcome="completed", left_pending=2, unusable=1)) == EXIT_API
    assert _exit_for(summary(outcome="completed", left_pending=2)) == EXIT_NETWORK
    assert _exit_for(summary(outcome="error")) == EXIT_ERROR
