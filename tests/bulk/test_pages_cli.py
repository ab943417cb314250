"""`tmapi-search bulk` with several pages per image, as a real subprocess.

A 439, or SIGTERM, between two pages of an image: the pages already paid for are in
the database (exported, counted by `status`), and the same command pays only for the
pages still missing. Counted at the local TMAPI stand-in (bodies from the contract: two
items per page).
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

from tests.cli_support import run_cli, start_cli
from tmapi_search.testing.local_server import LocalTmapiServer

from .conftest import ALI


def bulk_args(csv_path: Path, db: Path, *extra: str) -> list[str]:
    return [
        "bulk",
        str(csv_path),
        "--db",
        str(db),
        "--max-items-per-image",
        "6",
        "--concurrency",
        "1",
        "--no-progress",
        *extra,
    ]


def test_a_439_between_pages_keeps_the_paid_page_and_the_rerun_pays_the_rest(
    tmp_path: Path,
) -> None:
    csv_path = tmp_path / "catalogue.csv"
    csv_path.write_text(f"sku,img_url\nA,{ALI}?n=1\nB,{ALI}?n=2\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    # A: pages 1-3 (calls 1-3); B: page 1 (call 4), then 439 on its page 2
    with LocalTmapiServer(billing_after=4) as server:
        first = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert first.returncode == 3, first.stderr
        assert server.search_calls == 5

    status = run_cli("status", "--db", str(db), "--format", "json")
    assert status.returncode == 0, status.stderr
    counts = json.loads(status.stdout)["counts"]
    assert (counts["ok"], counts["pending"], counts["items"]) == (1, 1, 6 + 2)
    assert counts["partial"] == 1  # B: page 1 stored, page 2 next
    table = run_cli("status", "--db", str(db))
    assert table.returncode == 0, table.stderr
    assert "1 row(s) not finished hold pages already paid for" in table.stdout

    out = tmp_path / "out.jsonl"
    export = run_cli("export", "--db", str(db), "--format", "jsonl", "--out", str(out))
    assert export.returncode == 0, export.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    b_rows = [r for r in records if r["input"]["sku"] == "B"]
    assert [(r["status"], r["position"]) for r in b_rows] == [("pending", 0), ("pending", 1)]
    assert all(r["item"]["item_id"] for r in b_rows)

    # other search parameters: refused before any call (the pages are never mixed)
    with LocalTmapiServer() as server:
        other = run_cli(*bulk_args(csv_path, db, "--page-size", "4"), base_url=server.base_url)
        assert other.returncode == 2, other.stderr
        assert "page_size" in other.stderr
        assert server.search_calls == 0

    with LocalTmapiServer() as server:
        again = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert again.returncode == 0, again.stderr
        assert server.search_calls == 2  # B's pages 2 and 3 only
        assert dict(server.calls_by_url) == {f"{ALI}?n=2": 2}

    status = run_cli("status", "--db", str(db), "--format", "json")
    counts = json.loads(status.stdout)["counts"]
    assert (counts["ok"], counts["pending"], counts["items"], counts["partial"]) == (2, 0, 12, 0)
    export = run_cli("export", "--db", str(db), "--format", "jsonl", "--out", str(out), "--force")
    assert export.returncode == 0, export.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["position"] for r in records if r["input"]["sku"] == "B"] == list(range(6))
    assert {r["status"] for r in records} == {"ok"}


def test_sigterm_while_a_page_is_in_flight_keeps_it_and_the_rerun_pays_the_rest(
    tmp_path: Path,
) -> None:
    csv_path = tmp_path / "catalogue.csv"
    csv_path.write_text(f"sku,img_url\nA,{ALI}\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    asked = threading.Event()
    release = threading.Event()

    def hold_page_2(path: str, params: dict[str, str]) -> None:
        if params.get("page") == "2":
            asked.set()
            release.wait(60)  # answered once the process got its SIGTERM

    with LocalTmapiServer(hook=hold_page_2) as server:
        process = start_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        stopping = threading.Event()
        err_lines: list[str] = []

        def read_stderr() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                err_lines.append(line)
                if "stopping" in line:  # the CLI has handled the signal
                    stopping.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            assert asked.wait(60), "page 2 was never asked for"
            process.send_signal(signal.SIGTERM)
            assert stopping.wait(60), "".join(err_lines)
            release.set()  # page 2's answer arrives after the stop: kept, and no page 3
            code = process.wait(timeout=60)
            reader.join(10)
            err = "".join(err_lines)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
        assert code == 130, err
        assert server.search_calls == 2  # page 3 never asked for after the signal

    status = run_cli("status", "--db", str(db), "--format", "json")
    counts = json.loads(status.stdout)["counts"]
    assert (counts["ok"], counts["pending"], counts["items"]) == (0, 1, 4)

    with LocalTmapiServer() as server:
        again = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert again.returncode == 0, again.stderr
        assert server.search_calls == 1  # page 3 only
    status = run_cli("status", "--db", str(db), "--format", "json")
    counts = json.loads(status.stdout)["counts"]
    assert (counts["ok"], counts["pending"], counts["items"]) == (1, 0, 6)
