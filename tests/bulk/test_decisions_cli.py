"""`tmapi-search suppliers`, and the terms options, as a user runs them (subprocesses)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.bulk.decision_run import run_bulk
from tests.cli_support import run_cli

TERMS = ["--qty-column", "qty", "--currency", "USD", "--rate", "8"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_bulk(tmp_path_factory.mktemp("decisions-cli"))


def suppliers(db: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli("suppliers", "--db", str(db), *args, token=None)
    return done.returncode, done.stdout, done.stderr


def test_json_is_an_array_of_shops_the_widest_coverage_first(db: Path) -> None:
    code, out, err = suppliers(db, "--format", "json", *TERMS, "--sell-price-column", "sell_usd")
    assert code == 0, err
    shops = json.loads(out)
    assert [s["company_name"] for s in shops] == ["acme", "bolt", "cedar", "dune"]
    acme = shops[0]
    assert acme["inputs"] == 3
    assert acme["skus"] == ["A-1", "A-2", "A-3"]
    for name in ("member_id", "offers", "best_rank", "price_min", "price_max", "is_factory",
                 "tp_year", "repurchase_rate", "location", "shop_url"):  # fmt: skip
        assert name in acme
    assert (acme["price_min"], acme["price_max"], acme["currency"]) == ("1.00", "1.25", "USD")
    first = acme["matches"][0]
    assert (first["sku"], first["rank"], first["unit_price"], first["margin"]) == (
        "A-1", 1, "1.00", "4.00",
    )  # fmt: skip


def test_table_csv_and_workbook(db: Path, tmp_path: Path) -> None:
    code, out, err = suppliers(db, *TERMS)
    assert code == 0, err
    assert "acme" in out and "3 (A-1, A-2, A-3)" in out
    # a pipe is not an 80-column screen (no COLUMNS): every cell whole, on one line
    piped = run_cli("suppliers", "--db", str(db), *TERMS, token=None, COLUMNS="")
    lines = piped.stdout.splitlines()
    assert any("Factory / years / repurchase" in line for line in lines), piped.stdout
    assert any("3 (A-1, A-2, A-3)" in line for line in lines), piped.stdout
    code, out, _ = suppliers(db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["company_name"] == "acme" and rows[0]["inputs"] == "3"
    assert rows[0]["skus"] == "A-1, A-2, A-3"
    target = tmp_path / "suppliers.xlsx"
    code, _, err = suppliers(db, "--format", "xlsx", "--out", str(target), *TERMS)
    assert code == 0, err
    sheet = load_workbook(target, read_only=True)["Suppliers"]
    header, first = list(sheet.iter_rows(max_row=2, values_only=True))
    assert header[:3] == ("Member id", "Shop", "Inputs")
    assert first[1:3] == ("acme", 3)
    assert "Price from (USD)" in header


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--qty-column", "nope"], "--qty-column: the catalogue has no column 'nope'"),
        (["--currency", "USD"], "--currency USD: give --rate too"),
        (["--rate", "8"], "--rate: give --currency too"),
        (["--currency", "USD", "--rate", "0"], "--rate"),
        (["--qty", "3", "--qty-column", "qty"], "give one of them"),
        (["--format", "pdf"], "--format"),
    ],
)
def test_bad_terms_are_refused_naming_the_option(db: Path, args: list[str], message: str) -> None:
    code, _, err = suppliers(db, *args)
    assert code == 2
    assert message in err


def test_report_takes_the_same_terms(db: Path, tmp_path: Path) -> None:
    from tmapi_search.bulk.report import build_report_data

    out = tmp_path / "report.html"
    done = run_cli(
        "report", "--db", str(db), "--out", str(out), *TERMS, "--shortlist", "1", token=None
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert '"code":"USD","given":true' in page
    assert '"shortlist":1' in page
    data = build_report_data(db, shortlist=1)
    assert sum(1 for i in data["inputs"] for c in i["cards"] if c["sl"]) == 4
    bad = run_cli("report", "--db", str(db), "--out", str(out), "--rate", "8", token=None)
    assert bad.returncode == 2 and "--rate: give --currency too" in bad.stderr
