"""The engine's Python API end to end, against the local TMAPI stand-in.

Each function runs for real (a catalogue file, a SQLite database, HTTP to the stand-in);
the API's results are compared with the CLI's on the same catalogue: the same rows,
statuses and items (the exports byte for byte).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_cli
from tmapi_search import spec
from tmapi_search.bulk import (
    BillingStoppedError,
    BulkError,
    CatalogueError,
    LockedError,
    OutputError,
    ParamsMismatchError,
    RunSummary,
    StorageError,
    UsageError,
    arun_catalogue,
    export_results,
    read_status,
    run_catalogue,
    write_report,
)
from tmapi_search.bulk import events as ev
from tmapi_search.client import AsyncTmapiClient
from tmapi_search.testing.local_server import LocalTmapiServer

from .conftest import ALI, TOKEN

pytestmark = pytest.mark.usefixtures("no_backoff")


def no_match_hook(path: str, params: dict[str, str]) -> tuple[int, object] | None:
    if path == spec.SEARCH_PATH and "nomatch" in params.get("img_url", ""):
        body = spec.response_example()
        body["data"]["items"] = []
        body["data"]["total_count"] = 0
        return 200, body
    return None


def catalogue(path: Path) -> Path:
    """6 images found, one 422, one without a match, one bad row, one repeated image."""
    rows = ["sku,img_url,brand"] + [f"S{i},{ALI}?n={i},b{i % 2}" for i in range(6)]
    rows += [f"BAD,{ALI}?e422=1,x", f"NONE,{ALI}?nomatch=1,y", "BLANK,,z", f"TWIN,{ALI}?n=0,t"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def server() -> LocalTmapiServer:
    return LocalTmapiServer(errors_by_url={"e422": 422}, hook=no_match_hook)


OPTIONS: dict[str, Any] = {"max_items_per_image": 2, "concurrency": 2}
CLI_OPTIONS = ("--max-items-per-image", "2", "--concurrency", "2", "--no-progress")


def test_run_catalogue_then_every_view_matches_the_cli(tmp_path: Path) -> None:
    path = catalogue(tmp_path / "catalogue.csv")
    seen: list[ev.ProgressEvent] = []
    with server() as stand_in:
        summary = run_catalogue(
            path,
            tmp_path / "api.sqlite",
            api_token=TOKEN,
            base_url=stand_in.base_url,
            on_progress=seen.append,
            **OPTIONS,
        )
        api_calls = stand_in.search_calls
    with server() as stand_in:
        cli = run_cli("bulk", str(path), "--db", str(tmp_path / "cli.sqlite"), *CLI_OPTIONS,
                      base_url=stand_in.base_url)  # fmt: skip
        assert cli.returncode == 4, cli.stderr  # the 422: an image failed
        assert stand_in.search_calls == api_calls

    assert isinstance(summary, RunSummary)
    assert summary.outcome == "completed" and summary.message is None
    assert summary.run_id == 1
    assert (summary.ok, summary.no_match, summary.failed, summary.pending) == (7, 1, 2, 0)
    assert (summary.done, summary.rows) == (8, 10)
    assert summary.calls == api_calls == 8  # the twin shares S0's search
    assert summary.done_now == 8 and summary.failed_now == 1 and summary.shared_now == 1
    assert summary.errors_now == {"ParameterError": 1}
    assert summary.counts.failed_by_class == {"ParameterError": 1, "InvalidInput": 1}
    assert summary.raise_for_outcome() is summary  # a failed image is not a stopped run

    kinds = {type(event) for event in seen}
    assert {ev.Reading, ev.Searching, ev.CatalogueRead, ev.RowsSkipped} <= kinds
    assert all(str(event) for event in seen)
    last = [event for event in seen if isinstance(event, ev.Searching)][-1]
    assert (last.done, last.failed, last.calls) == (8, 1, 8)
    skipped = next(event for event in seen if isinstance(event, ev.RowsSkipped))
    assert skipped.bad_count == 1 and "BLANK" not in str(skipped)  # reason and value shown

    for fmt in ("csv", "jsonl", "xlsx"):
        mine = tmp_path / f"api.{fmt}"
        result = export_results(tmp_path / "api.sqlite", mine)  # format from the extension
        assert result.out == mine
        assert result.by_status == {"ok": 14, "no_match": 1, "failed": 2}
        assert result.describe() == "17 row(s): 14 ok, 1 no_match, 2 failed, 0 pending"
        theirs = tmp_path / f"cli.{fmt}"
        exported = run_cli("export", "--db", str(tmp_path / "cli.sqlite"), "--format", fmt,
                           "--out", str(theirs))  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        assert result.describe() in exported.stderr
        if fmt != "xlsx":  # a workbook holds its own time stamps
            assert mine.read_bytes() == theirs.read_bytes(), fmt
    records = [json.loads(line) for line in (tmp_path / "api.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records if r["input"]["sku"] in ("BAD", "NONE", "BLANK")] == [
        "failed",
        "no_match",
        "failed",
    ]

    status = read_status(tmp_path / "api.sqlite")
    cli_status = json.loads(
        run_cli("status", "--db", str(tmp_path / "cli.sqlite"), "--format", "json").stdout
    )
    assert status.counts.to_dict() == cli_status["counts"]
    assert (status.ok, status.failed, status.calls, status.outcome) == (7, 2, 8, "done")
    assert status.running is None
    assert [(row.sku, row.error_code) for row in status.failed_rows] == [
        (f["sku"], f["error_code"]) for f in cli_status["failed"]
    ]
    assert [run.state for run in status.runs] == [r["state"] for r in cli_status["runs"]]

    report = write_report(tmp_path / "api.sqlite", tmp_path / "report.html", top=2)
    assert report.inputs == 10 and (tmp_path / "report.html").stat().st_size == report.bytes
    with pytest.raises(OutputError, match="--force"):
        write_report(tmp_path / "api.sqlite", tmp_path / "report.html")


def test_a_second_run_resumes_with_no_call(tmp_path: Path) -> None:
    path = catalogue(tmp_path / "catalogue.csv")
    db = tmp_path / "r.sqlite"
    seen: list[ev.ProgressEvent] = []
    with server() as stand_in:
        run_catalogue(path, db, api_token=TOKEN, base_url=stand_in.base_url, **OPTIONS)
        again = run_catalogue(
            path, db, api_token=TOKEN, base_url=stand_in.base_url, on_progress=seen.append,
            **OPTIONS,
        )  # fmt: skip
        assert stand_in.search_calls == 8
    assert again.run_id is None and again.calls == 0 and again.outcome == "completed"
    assert again.done == 8
    assert any(isinstance(event, ev.CatalogueUnchanged) for event in seen)
    with pytest.raises(ParamsMismatchError, match="language='en' \\(now 'ru'\\)"):
        run_catalogue(path, db, api_token=TOKEN, **{**OPTIONS, "language": "ru"})


def test_arun_catalogue_with_the_callers_client(tmp_path: Path) -> None:
    path = catalogue(tmp_path / "catalogue.csv")

    async def main(base_url: str) -> tuple[RunSummary, bool]:
        async with AsyncTmapiClient(api_token=TOKEN, base_url=base_url) as client:
            summary = await arun_catalogue(path, tmp_path / "r.sqlite", client=client, **OPTIONS)
            still_open = not client._http.is_closed  # the caller's client is left open
        return summary, still_open

    with server() as stand_in:
        summary, still_open = asyncio.run(main(stand_in.base_url))
        assert stand_in.tokens_seen == {TOKEN}
    assert still_open
    assert (summary.done, summary.failed, summary.calls) == (8, 2, 8)


def test_a_stopped_run_is_a_value_and_raise_for_outcome_raises(tmp_path: Path) -> None:
    path = catalogue(tmp_path / "catalogue.csv")
    with LocalTmapiServer(billing_after=3) as stand_in:
        summary = run_catalogue(
            path, tmp_path / "r.sqlite", api_token=TOKEN, base_url=stand_in.base_url,
            max_items_per_image=2, concurrency=1,
        )  # fmt: skip
    assert summary.outcome == "billing" and summary.pending > 0
    assert summary.message and TOKEN not in summary.message
    with pytest.raises(BillingStoppedError) as stopped:
        summary.raise_for_outcome()
    assert stopped.value.summary is summary
    assert read_status(tmp_path / "r.sqlite").outcome == "failed"


def test_refusals_are_usage_errors_before_any_call(tmp_path: Path) -> None:
    from tmapi_search.bulk.lock import RunLock

    path = catalogue(tmp_path / "catalogue.csv")
    db = tmp_path / "r.sqlite"
    with server() as stand_in:
        base = {"api_token": TOKEN, "base_url": stand_in.base_url}
        with pytest.raises(UsageError, match="^--page-size: must be between 1 and 20"):
            run_catalogue(path, db, **base, page_size=30)
        with pytest.raises(UsageError, match="^--price-start: only the v2 search"):
            run_catalogue(path, db, **base, price_start=3)
        with pytest.raises(UsageError, match="--concurrency"):
            run_catalogue(path, db, **base, concurrency=0)
        empty = tmp_path / "empty.csv"
        empty.write_text("sku,img_url\nA,\n", encoding="utf-8")
        with pytest.raises(CatalogueError, match="has no image URL to search"):
            run_catalogue(empty, db, **base)
        (tmp_path / "nourl.csv").write_text("sku\nA\n", encoding="utf-8")
        with pytest.raises(CatalogueError, match="no image URL column"):
            run_catalogue(tmp_path / "nourl.csv", db, **base)
        with RunLock(db) as lock:
            lock.acquire()
            with pytest.raises(LockedError, match="in use by another bulk run"):
                run_catalogue(path, db, **base)
        with pytest.raises(UsageError, match="is a directory"):
            run_catalogue(path, tmp_path, **base)
        assert stand_in.search_calls == 0
    with pytest.raises(UsageError, match="does not exist") as caught:
        read_status(tmp_path / "missing.sqlite")
    assert isinstance(caught.value, BulkError)


def test_export_refusals(tmp_path: Path) -> None:
    path = catalogue(tmp_path / "catalogue.csv")
    db = tmp_path / "r.sqlite"
    with server() as stand_in:
        run_catalogue(path, db, api_token=TOKEN, base_url=stand_in.base_url, **OPTIONS)
    out = tmp_path / "out.csv"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="exists; add --force"):
        export_results(db, out)
    assert out.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(OutputError, match="results database"):
        export_results(db, db, force=True)
    with pytest.raises(UsageError, match="--format jsonl contradicts --out"):
        export_results(db, out, force=True, format="jsonl")
    assert out.read_text(encoding="utf-8") == "keep me"
    odd = tmp_path / "out.txt"
    with pytest.raises(UsageError, match="names no format"):
        export_results(db, odd)
    assert export_results(db, odd, format="jsonl").rows == 17
    assert odd.read_text(encoding="utf-8").startswith("{")  # the format given
    with pytest.raises(UsageError, match="not a SQLite database"):
        export_results(out, tmp_path / "x.csv")
    if Path("/dev/full").exists():
        with pytest.raises(StorageError, match="^--out: cannot write /dev/full: No space left"):
            export_results(db, Path("/dev/full"), force=True, format="csv")


def test_the_token_is_in_no_engine_frame(tmp_path: Path) -> None:
    """An error tracker records every frame's locals: the engine's hold no plain token."""
    path = catalogue(tmp_path / "catalogue.csv")
    # the client cannot be made (after the reading, with the token passed on)
    with pytest.raises(ValueError, match="base_url") as caught:
        run_catalogue(path, tmp_path / "r.sqlite", api_token=TOKEN, base_url="ftp://nowhere")
    frames = []
    tb = caught.value.__traceback__
    while tb is not None:
        if "/tmapi_search/bulk/" in tb.tb_frame.f_code.co_filename:
            frames.append(tb.tb_frame)
        tb = tb.tb_next
    assert len(frames) >= 2  # run_catalogue, and the run's search
    for frame in frames:
        for name, value in frame.f_locals.items():
            assert TOKEN not in repr(value), (frame.f_code.co_name, name)


def test_a_failing_progress_handler_does_not_stop_the_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def on_progress(event: ev.ProgressEvent) -> None:
        raise RuntimeError("a bug in the caller's handler")

    path = catalogue(tmp_path / "catalogue.csv")
    with server() as stand_in:
        summary = run_catalogue(
            path, tmp_path / "r.sqlite", api_token=TOKEN, base_url=stand_in.base_url,
            on_progress=on_progress, **OPTIONS,
        )  # fmt: skip
    assert (summary.outcome, summary.done) == ("completed", 8)
    assert caplog.text.count("on_progress raised") == 1  # logged once, not per event
