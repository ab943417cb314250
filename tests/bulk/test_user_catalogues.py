"""Catalogues as users have them, run as a new user would: real files, real processes,
the local stand-in.

Column names people use (English and Chinese, in .xlsx and CSV, or named with
`--image-column`), URLs with spaces, an edited catalogue (changed photo, deleted and
added rows) followed by export, report and status, the output format from `--out`'s
extension, numbers kept as numbers, an API that repeats its offers page after page, a
token pasted with its quotes, a run in progress, and a pipe.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.cli_support import TOKEN, run_cli, start_cli
from tmapi_search import spec
from tmapi_search.testing.local_server import LocalTmapiServer

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def photo(name: str) -> str:
    return f"{ALI}?p={name}"


def write_table(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """A catalogue as the user saved it: .xlsx (typed cells) or CSV (UTF-8 with a BOM)."""
    if path.suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Products"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.create_sheet("Notes").append(["written by hand"])
        book.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def bulk(path: Path, db: Path, server: LocalTmapiServer, *extra: str, token: str = TOKEN) -> Any:
    return run_cli(
        "bulk",
        str(path),
        "--db",
        str(db),
        "--concurrency",
        "2",
        "--no-progress",
        *extra,
        base_url=server.base_url,
        token=token,
    )


def export_rows(db: Path, *extra: str) -> list[dict[str, object]]:
    result = run_cli("export", "--db", str(db), "--format", "jsonl", *extra)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- columns ----------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize(
    ("image", "sku"),
    [("图片链接", "商品编码"), ("Photo URL", "Item code"), ("主图", "货号"), ("Image", "SKU")],
)
def test_columns_by_the_names_people_use(tmp_path: Path, suffix: str, image: str, sku: str) -> None:
    path = write_table(
        tmp_path / f"catalogue{suffix}",
        ["品名", sku, image],
        [["杯子", "A-1", photo("a")], ["碗", "A-2", photo("b")]],
    )
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        result = bulk(path, db, server, "--max-items-per-image", "2")
        assert server.search_calls == 2
    assert result.returncode == 0, result.stderr
    if image.lower() != "img_url":
        assert result.stderr.count(f"image column: {image}, SKU column: {sku}") == 1
    rows = export_rows(db)
    assert {(row["input"]["sku"], row["input"]["img_url"]) for row in rows} == {  # type: ignore[index]
        ("A-1", photo("a")),
        ("A-2", photo("b")),
    }
    assert {row["input"]["品名"] for row in rows} == {"杯子", "碗"}  # type: ignore[index]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_image_column_named_with_spaces_and_parentheses(tmp_path: Path, suffix: str) -> None:
    header = ["Code", " Product photo (front view) ", "Cost (CNY)"]
    path = write_table(tmp_path / f"catalogue{suffix}", header, [["X1", photo("x"), 3]])
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        refused = bulk(path, db, server)
        assert refused.returncode == 2
        message = refused.stderr
        assert "'Product photo (front view)'" in message and "'Cost (CNY)'" in message
        assert "--image-column" in message
        if suffix == ".xlsx":
            assert "sheets: 'Products', 'Notes'" in message
        result = bulk(
            path, db, server, "--image-column", "product photo (front view)",
            "--max-items-per-image", "2",
        )  # fmt: skip
        assert server.search_calls == 1
    assert result.returncode == 0, result.stderr
    assert "image column: Product photo (front view)" in result.stderr
    named_wrong = run_cli("bulk", str(path), "--db", str(db), "--image-column", "Photo")
    assert named_wrong.returncode == 2 and "--image-column: " in named_wrong.stderr


# -- URLs --------------------------------------------------------------------------------
def test_a_url_with_a_space_is_searched_and_exported_as_written(tmp_path: Path) -> None:
    written = "https://cbu01.alicdn.com/img/ibank/my photo 1.jpg"
    path = write_table(tmp_path / "c.csv", ["sku", "img_url"], [["S1", written]])
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        result = bulk(path, db, server, "--max-items-per-image", "2")
        assert dict(server.calls_by_url) == {
            "https://cbu01.alicdn.com/img/ibank/my%20photo%201.jpg": 1
        }
    assert result.returncode == 0, result.stderr
    rows = export_rows(db)
    assert {row["input"]["img_url"] for row in rows} == {written}  # type: ignore[index]
    assert {row["status"] for row in rows} == {"ok"}


def test_a_local_path_says_the_photo_must_be_hosted_first(tmp_path: Path) -> None:
    path = write_table(tmp_path / "c.csv", ["sku", "img_url"], [["S1", "./photos/a.jpg"]])
    with LocalTmapiServer() as server:
        result = bulk(path, tmp_path / "r.sqlite", server)
        assert server.search_calls == 0
    assert result.returncode == 2
    assert "local file" in result.stderr and "hosted first" in result.stderr


# -- an edited catalogue -----------------------------------------------------------------
def test_an_edited_catalogue_shows_only_its_current_rows(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    db = tmp_path / "r.sqlite"
    header = ["sku", "img_url", "name"]
    first = [[f"D{i}", photo(f"d{i}"), f"item {i}"] for i in range(1, 6)]
    # D2 gets a new photo, D3 and D5 are deleted, D0 and D6 are added
    edited = [
        ["D0", photo("d0"), "item 0"],
        ["D1", photo("d1"), "item 1"],
        ["D2", photo("d2-new"), "item 2"],
        ["D4", photo("d4"), "item 4"],
        ["D6", photo("d6"), "item 6"],
    ]
    with LocalTmapiServer() as server:
        assert bulk(write_table(path, header, first), db, server, "--max-items-per-image", "2")
        assert server.search_calls == 5
        result = bulk(write_table(path, header, edited), db, server, "--max-items-per-image", "2")
        assert server.search_calls == 5 + 3  # D0, D6 and D2's new photo
    assert result.returncode == 0, result.stderr
    assert "3 row(s) of the database no longer in it (gone" in result.stderr

    rows = export_rows(db)
    shown = [(row["input"]["sku"], row["input"]["img_url"]) for row in rows]  # type: ignore[index]
    assert sorted(set(shown)) == [
        ("D0", photo("d0")),
        ("D1", photo("d1")),
        ("D2", photo("d2-new")),
        ("D4", photo("d4")),
        ("D6", photo("d6")),
    ]
    assert {row["status"] for row in rows} == {"ok"}

    everything = export_rows(db, "--include-gone")
    gone = {
        (row["input"]["sku"], row["input"]["img_url"])
        for row in everything
        if row["status"] == "gone"
    }  # type: ignore[index]
    assert gone == {("D2", photo("d2")), ("D3", photo("d3")), ("D5", photo("d5"))}
    with sqlite3.connect(db) as conn:  # nothing paid for is deleted
        assert conn.execute("SELECT count(*) FROM images").fetchone()[0] == 8
        assert conn.execute("SELECT count(DISTINCT image_id) FROM items").fetchone()[0] == 8

    status = run_cli("status", "--db", str(db), "--format", "json")
    counts = json.loads(status.stdout)["counts"]
    assert (counts["rows"], counts["ok"], counts["gone"]) == (5, 5, 3)
    table = run_cli("status", "--db", str(db))
    assert "5 input row(s): 5 ok" in table.stdout and "3 row(s) no longer in" in table.stdout

    report = run_cli("report", "--db", str(db), "--out", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert report.stderr.startswith("5 input(s): 5 ok")
    assert "3 row(s) no longer in the catalogue left out" in report.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "d2-new" in page and "p=d3" not in page and "p=d5" not in page
    report = run_cli(
        "report", "--db", str(db), "--out", str(tmp_path / "r.html"), "--force", "--include-gone"
    )
    assert report.stderr.startswith("8 input(s): 5 ok, 0 no match, 0 failed, 0 pending, 3 gone")


# -- formats and numbers -----------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_out_xlsx_is_a_workbook_with_numbers_kept(tmp_path: Path, suffix: str) -> None:
    path = write_table(
        tmp_path / f"c{suffix}",
        ["sku", "img_url", "cost", "qty", "barcode", "note"],
        [
            ["007", photo("a"), 12.5, 3, "0012345", "n/a"],
            ["008", photo("b"), 7, 10, "0012346", "12"],
        ],
    )
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        assert bulk(path, db, server, "--max-items-per-image", "1").returncode == 0
    out = tmp_path / "results.xlsx"
    result = run_cli("export", "--db", str(db), "--out", str(out), "--all-columns")
    assert result.returncode == 0, result.stderr
    book = load_workbook(out, read_only=True)
    for name in ("items", "inputs"):
        rows = list(book[name].iter_rows(values_only=True))
        header = list(rows[0])
        values = {column: [row[header.index(column)] for row in rows[1:]] for column in header}
        assert values["input.cost"] == [12.5, 7]
        assert values["input.qty"] == [3, 10]
        assert values["input.sku"] == ["007", "008"]  # an SKU stays text
        assert values["input.barcode"] == ["0012345", "0012346"]  # leading zeros: text
        assert values["input.note"] == ["n/a", "12"]  # a column not all numbers: text
    book.close()


def test_the_format_comes_from_the_out_extension(tmp_path: Path) -> None:
    path = write_table(tmp_path / "c.csv", ["sku", "img_url"], [["S1", photo("a")]])
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        assert bulk(path, db, server, "--max-items-per-image", "1").returncode == 0
    for name in ("r.csv", "r.tsv", "r.jsonl"):
        result = run_cli("export", "--db", str(db), "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").startswith("input_line,status")
    tsv = (tmp_path / "r.tsv").read_text(encoding="utf-8-sig")
    assert tsv.startswith("input_line\tstatus\terror_code")
    assert list(csv.reader(io.StringIO(tsv), delimiter="\t"))[1][1] == "ok"
    assert json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()[0])
    contradicted = run_cli(
        "export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "x.xlsx")
    )
    assert contradicted.returncode == 2 and "contradicts" in contradicted.stderr
    assert not (tmp_path / "x.xlsx").exists()
    unknown = run_cli("export", "--db", str(db), "--out", str(tmp_path / "x.txt"))
    assert unknown.returncode == 2 and "--format" in unknown.stderr
    named = run_cli("export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "x.txt"))
    assert named.returncode == 0, named.stderr


# -- the vendor repeating itself --------------------------------------------------------
def test_repeated_offers_are_paid_for_and_stored_once(tmp_path: Path) -> None:
    path = write_table(tmp_path / "c.csv", ["sku", "img_url"], [["S1", photo("a")]])
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(repeat_pages=True) as server:
        result = bulk(path, db, server)  # 20 items per image: 10 pages of 2, were it not
        assert server.search_calls <= 2
    assert result.returncode == 0, result.stderr
    assert "paging stopped at a page that brought no new offer" in result.stdout
    ids = [row["item"]["item_id"] for row in export_rows(db)]  # type: ignore[index]
    example = spec.response_example(spec.SEARCH_PATH, "get", 200)["data"]["items"]
    assert ids == [item["item_id"] for item in example]
    assert len(set(ids)) == len(ids)


# -- the token as pasted -----------------------------------------------------------------
@pytest.mark.parametrize("pasted", [f'"{TOKEN}"', f"'{TOKEN}'", f"{TOKEN}\n"])
def test_a_token_pasted_with_quotes_or_a_newline_sends_nothing(tmp_path: Path, pasted: str) -> None:
    path = write_table(tmp_path / "c.csv", ["sku", "img_url"], [["S1", photo("a")]])
    with LocalTmapiServer() as server:
        result = bulk(path, tmp_path / "r.sqlite", server, token=pasted)
        search = run_cli("search", photo("a"), base_url=server.base_url, token=pasted)
        assert server.search_calls == server.convert_calls == 0
    for run in (result, search):
        assert run.returncode == 2
        assert "--api-token / TMAPI_TOKEN" in run.stderr and "strip" in run.stderr
        assert TOKEN not in run.stderr
    missing = run_cli("search", photo("a"), token=None)
    assert missing.returncode == 2
    assert "--api-token" in missing.stderr and "TMAPI_TOKEN" in missing.stderr
    assert "api_token=" not in missing.stderr


# -- the small ones ----------------------------------------------------------------------
def test_export_report_and_status_say_a_run_is_writing(tmp_path: Path) -> None:
    rows = [[f"S{i}", photo(str(i))] for i in range(40)]
    path = write_table(tmp_path / "c.csv", ["sku", "img_url"], rows)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(latency=0.2) as server:
        running = start_cli(
            "bulk", str(path), "--db", str(db), "--concurrency", "1", "--no-progress",
            "--max-items-per-image", "1", base_url=server.base_url,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while server.search_calls < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            outputs = [
                run_cli("export", "--db", str(db), "--out", str(tmp_path / "x.csv")),
                run_cli("report", "--db", str(db), "--out", str(tmp_path / "x.html")),
                run_cli("status", "--db", str(db)),
            ]
        finally:
            running.terminate()
            running.communicate(timeout=30)
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert f"a bulk run is writing {db} now (pid {running.pid}" in result.stderr
        assert "row(s) still pending" in result.stderr


def test_status_counts_agree_with_its_runs(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "c.csv", ["sku", "img_url"], [["S1", photo("a")], ["S2", "not a url"]]
    )
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        bulk(path, db, server, "--max-items-per-image", "1")
    table = run_cli("status", "--db", str(db))
    assert "1 failed (1 of them rejected when the catalogue was read" in table.stdout
    document = json.loads(run_cli("status", "--db", str(db), "--format", "json").stdout)
    counts = document["counts"]
    assert (counts["rows"], counts["ok"], counts["failed"], counts["rejected"]) == (2, 1, 1, 1)
    runs_failed = sum(run["failed"] for run in document["runs"])
    assert counts["failed"] - counts["rejected"] == runs_failed


def test_a_pipe_gets_whole_cells(tmp_path: Path) -> None:
    title = spec.response_example(spec.SEARCH_PATH, "get", 200)["data"]["items"][0]["title"]
    with LocalTmapiServer() as server:
        result = run_cli("search", ALI, base_url=server.base_url, COLUMNS="40")
    assert result.returncode == 0, result.stderr
    assert title in result.stdout
