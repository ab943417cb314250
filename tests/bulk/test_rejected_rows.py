"""Catalogue rows `bulk` rejects while reading (blank or non-http(s) img_url) are part of
the account: stored as `failed` / `InvalidInput` with the reason, never sent to the API,
listed by `export` and `status`, and replaced by the fixed row on a rerun.

Real files, the CLI as a subprocess, the local TMAPI stand-in counting the calls.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from tests.cli_support import run_cli
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.store import Store
from tmapi_search.testing.local_server import LocalTmapiServer

from ._whole_file import replace_rejected
from .conftest import ALI


def write_catalogue(path: Path, bad_url: str) -> Path:
    path.write_text(
        "sku,img_url,title\n"
        f"A-1,{ALI}?n=1,first\n"
        "B-2,,blank url row\n"
        f"C-3,{bad_url},bad url row\n"
        f"D-4,{ALI}?n=4,last\n",
        encoding="utf-8",
    )
    return path


def bulk(csv_path: Path, db: Path) -> list[str]:
    return [
        "bulk",
        str(csv_path),
        "--db",
        str(db),
        "--max-items-per-image",
        "2",
        "--no-progress",
    ]


def export_csv(db: Path, out: Path) -> list[dict[str, str]]:
    result = run_cli("export", "--db", str(db), "--format", "csv", "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def by_sku(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        sku = next(value for name, value in row.items() if name.endswith("sku"))
        grouped.setdefault(sku, []).append(row)
    return grouped


def test_rejected_rows_are_failed_rows_never_sent_and_a_fixed_row_is_searched(
    tmp_path: Path,
) -> None:
    catalogue = write_catalogue(tmp_path / "catalogue.csv", "ftp://example.com/c3.jpg")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        first = run_cli(*bulk(catalogue, db), base_url=server.base_url)
        assert first.returncode == 0, first.stderr
        assert server.search_calls == 2  # only the two good rows
        assert "" not in server.calls_by_url
        assert not any("ftp:" in url for url in server.calls_by_url)
    assert "line 3: blank img_url" in first.stderr
    assert "line 4: img_url is not an http(s) URL" in first.stderr
    assert "2 done, 2 failed, 0 pending of 4 images" in first.stdout
    assert "InvalidInput x2" in first.stdout

    rows = export_csv(db, tmp_path / "export.csv")
    assert [row["input_line"] for row in rows] == ["2", "2", "3", "4", "5", "5"]  # catalogue order
    grouped = by_sku(rows)
    (blank,) = grouped["B-2"]
    (bad,) = grouped["C-3"]
    for row, reason in ((blank, "blank img_url"), (bad, "not an http(s) URL")):
        assert row["status"] == "failed"
        assert row["error_code"] == "InvalidInput"
        assert reason in row["error_message"]
    assert "blank url row" in blank.values() and "bad url row" in bad.values()
    assert "ftp://example.com/c3.jpg" in bad.values()

    jsonl = tmp_path / "export.jsonl"
    result = run_cli("export", "--db", str(db), "--format", "jsonl", "--out", str(jsonl))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    failed = [r for r in records if r["status"] == "failed"]
    assert [(r["input_line"], r["error_code"], r["input"]["sku"]) for r in failed] == [
        (3, "InvalidInput", "B-2"),
        (4, "InvalidInput", "C-3"),
    ]

    status = run_cli("status", "--db", str(db), "--format", "json")
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document["counts"]["failed"] == 2 and document["counts"]["ok"] == 2
    listed = [(e["line"], e["sku"], e["status"], e["error_code"]) for e in document["failed"]]
    assert listed == [(3, "B-2", "failed", "InvalidInput"), (4, "C-3", "failed", "InvalidInput")]
    assert "blank img_url" in document["failed"][0]["error_message"]
    assert "not an http(s) URL" in document["failed"][1]["error_message"]
    assert document["failed"][1]["img_url"] == "ftp://example.com/c3.jpg"

    # a rerun with the rows unchanged: nothing is sent, the rejected rows stay as they are
    with LocalTmapiServer() as server:
        again = run_cli(*bulk(catalogue, db), base_url=server.base_url)
        assert again.returncode == 0, again.stderr
        assert server.search_calls == 0
        retry = run_cli(*bulk(catalogue, db), "--retry-failed", base_url=server.base_url)
        assert retry.returncode == 0, retry.stderr
        assert server.search_calls == 0  # --retry-failed never sends a rejected row
    assert "2 done, 2 failed, 0 pending of 4 images" in again.stdout

    # the user fixes C-3 in the catalogue: it is searched once and shows ok
    write_catalogue(catalogue, f"{ALI}?n=3")
    with LocalTmapiServer() as server:
        fixed = run_cli(*bulk(catalogue, db), base_url=server.base_url)
        assert fixed.returncode == 0, fixed.stderr
        assert server.search_calls == 1
        assert list(server.calls_by_url) == [f"{ALI}?n=3"]
    assert "3 done, 1 failed, 0 pending of 4 images" in fixed.stdout
    grouped = by_sku(export_csv(db, tmp_path / "export.csv"))
    assert {row["status"] for row in grouped["C-3"]} == {"ok"}
    assert [row["status"] for row in grouped["B-2"]] == ["failed"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM images WHERE sku = 'C-3'").fetchone() == (1,)


def test_kept_rows_with_a_warning_and_duplicates_are_not_failed_rows(tmp_path: Path) -> None:
    catalogue = tmp_path / "c.csv"
    catalogue.write_text(
        f"sku,img_url,title\nA-1,{ALI}?n=1\nA-1,{ALI}?n=1,same row again\nB-2,,\n",
        encoding="utf-8",
    )
    rows = read_input(catalogue)
    assert [w.line for w in rows.warnings] == [2]  # fewer cells: kept, with a warning
    with Store(tmp_path / "r.sqlite") as store:
        store.add_images([image.db_row() for image in rows.images])
        replace_rejected(store, [bad.db_row() for bad in rows.bad if bad.duplicate_of is None])
        account = list(store.account())
        assert [(a.line, a.status, a.error_code) for a in account] == [
            (2, "pending", None),
            (4, "failed", "InvalidInput"),
        ]
        assert account[1].sku == "B-2"
        assert [i.line for i in store.images_to_do([i.key for i in rows.images])] == [2]
        assert store.images_to_do([i.key for i in rows.images], retry_failed=True)[0].line == 2
        assert len(store.images_to_do([], retry_failed=True)) == 0
