"""The files mixed up, as users do: the results database given as the catalogue, and
`--db` named like the spreadsheet the user expects to get. Refused before anything is
sent or written, with a message that says which file goes where."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tmapi_search.bulk import CatalogueError, UsageError, estimate_catalogue, run_catalogue
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-mixed-0001"
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalogue.csv"
    path.write_text(f"sku,img_url\nA-1,{ALI}\n", encoding="utf-8")
    return path


def test_the_database_given_as_the_catalogue(
    catalogue: Path, tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    db = tmp_path / "results.sqlite"
    run_catalogue(catalogue, db, api_token=TOKEN, max_items_per_image=2)
    calls = tmapi_mock.call_count
    swapped = tmp_path / "copy.sqlite"
    shutil.copyfile(db, swapped)
    with pytest.raises(CatalogueError, match=r"is a SQLite database .*--db") as caught:
        run_catalogue(swapped, tmp_path / "other.sqlite", api_token=TOKEN)
    assert "catalogue" in str(caught.value)
    assert tmapi_mock.call_count == calls
    assert not (tmp_path / "other.sqlite").exists()


@pytest.mark.parametrize("name", ["results.xlsx", "results.csv", "out.jsonl", "report.html"])
def test_a_new_db_named_like_an_export_is_refused(
    name: str, catalogue: Path, tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    db = tmp_path / name
    suffix = Path(name).suffix
    with pytest.raises(UsageError, match=rf"--db: .* named like a \{suffix} file") as caught:
        run_catalogue(catalogue, db, api_token=TOKEN)
    assert "results.sqlite" in str(caught.value) or ".sqlite" in str(caught.value)
    with pytest.raises(UsageError, match="export --out"):
        estimate_catalogue(catalogue, db)
    assert tmapi_mock.call_count == 0
    assert not db.exists()


def test_the_cli_says_which_file_goes_where(catalogue: Path, tmp_path: Path) -> None:
    wrong_db = run_cli("bulk", str(catalogue), "--db", str(tmp_path / "results.xlsx"))
    assert wrong_db.returncode == 2, wrong_db.stderr
    assert "--db" in wrong_db.stderr and "export --out" in wrong_db.stderr
    assert "Traceback" not in wrong_db.stderr
    (tmp_path / "fake.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(100))
    swapped = run_cli("bulk", str(tmp_path / "fake.sqlite"), "--db", str(tmp_path / "r.sqlite"))
    assert swapped.returncode == 2, swapped.stderr
    assert "INPUT" in swapped.stderr and "SQLite database" in swapped.stderr
    assert not list(tmp_path.glob("results.xlsx*")) and not (tmp_path / "r.sqlite").exists()


def test_another_catalogue_on_the_same_database_is_named(
    catalogue: Path, tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    from tmapi_search.bulk.events import CatalogueChanged

    db = tmp_path / "results.sqlite"
    run_catalogue(catalogue, db, api_token=TOKEN, max_items_per_image=2)
    other = tmp_path / "other.csv"
    other.write_text(f"sku,img_url\nB-1,{ALI}?n=2\n", encoding="utf-8")
    seen: list[str] = []

    def note(event: object) -> None:
        if isinstance(event, CatalogueChanged):
            seen.append(str(event))

    run_catalogue(other, db, api_token=TOKEN, max_items_per_image=2, on_progress=note)
    assert len(seen) == 1
    assert seen[0].startswith(f"{other} is not the catalogue of the last run ({catalogue})")
    assert "1 row(s) of the database no longer in it (gone" in seen[0]
    other.write_text(f"sku,img_url\nB-1,{ALI}?n=2\nB-2,{ALI}?n=3\n", encoding="utf-8")
    run_catalogue(other, db, api_token=TOKEN, max_items_per_image=2, on_progress=note)
    assert seen[1].startswith(f"{other} changed since the last run: 1 new row(s)")


def test_output_files_are_written_in_the_format_their_name_says(
    catalogue: Path, tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    import csv
    import json

    from tmapi_search.bulk import OutputError, export_suppliers, write_report

    db = tmp_path / "results.sqlite"
    run_catalogue(catalogue, db, api_token=TOKEN, max_items_per_image=2)
    export_suppliers(db, tmp_path / "shops.csv")
    rows = list(csv.DictReader((tmp_path / "shops.csv").open(encoding="utf-8-sig")))
    assert rows and "member_id" in rows[0]
    with pytest.raises(UsageError, match=r"--out: .*shops\.txt names no format"):
        export_suppliers(db, tmp_path / "shops.txt")
    with pytest.raises(UsageError, match="--format json contradicts --out"):
        export_suppliers(db, tmp_path / "shops2.csv", format="json")
    export_suppliers(db, tmp_path / "shops.txt", format="json")
    assert json.loads((tmp_path / "shops.txt").read_text(encoding="utf-8"))
    with pytest.raises(OutputError, match=r"one HTML page: name it \.html"):
        write_report(db, tmp_path / "report.csv")
    assert not (tmp_path / "report.csv").exists()
    assert not (tmp_path / "shops2.csv").exists()


def test_suppliers_takes_its_format_from_out(
    catalogue: Path, tmp_path: Path, tmapi_mock: TmapiMock
) -> None:
    db = tmp_path / "results.sqlite"
    run_catalogue(catalogue, db, api_token=TOKEN, max_items_per_image=2)
    done = run_cli("suppliers", "--db", str(db), "--out", str(tmp_path / "s.xlsx"), token=None)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s.xlsx").read_bytes().startswith(b"PK")
    refused = run_cli("report", "--db", str(db), "--out", str(tmp_path / "r.xlsx"), token=None)
    assert refused.returncode == 2 and "name it .html" in refused.stderr
