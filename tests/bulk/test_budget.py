"""What a run would pay (`estimate_catalogue`), and `max_calls` (the runner's cap)."""

from __future__ import annotations

from pathlib import Path

from tests.bulk.conftest import ALI
from tests.cli_support import run_cli
from tmapi_search.bulk.budget import estimate_catalogue
from tmapi_search.testing.local_server import LocalTmapiServer

OWN = "https://shop.example.com/images/case.jpg"


def catalogue(path: Path) -> Path:
    path.write_text(
        "sku,img_url\n"
        f"A,{ALI}?n=1\n"
        f"B,{ALI}?n=1\n"  # the same image as A: served by A's search
        f"C,{ALI}?n=2\n"
        f"D,{OWN}\n"  # not on an Alibaba host: converted first
        f"E,{OWN}#same-image\n"  # the same image as D (a fragment is never sent)
        "F,not a url\n"  # a bad row: never searched
        f"A,{ALI}?n=1\n",  # A again: a repeated row, counted once
        encoding="utf-8",
    )
    return path


def test_an_estimate_counts_searches_shared_rows_and_conversions(tmp_path: Path) -> None:
    source = catalogue(tmp_path / "c.csv")
    first = estimate_catalogue(source, tmp_path / "none.sqlite")
    assert first.to_dict() == {
        "images": 5, "done": 0, "to_search": 3, "shared": 2, "conversions": 1, "pages": 1,
        "expected_calls": 4, "max_calls": 1 + 3 * 20,
    }  # fmt: skip
    assert not (tmp_path / "none.sqlite").exists()  # nothing written
    # v2 converts every image; 50 items at 20 a page: 3 pages a search
    v2 = estimate_catalogue(source, api="v2", max_items_per_image=50)
    assert (v2.conversions, v2.pages, v2.expected_calls) == (3, 3, 3 + 3 * 3)


def test_an_estimate_after_a_run_counts_what_is_left(tmp_path: Path) -> None:
    source = catalogue(tmp_path / "c.csv")
    db = tmp_path / "run.sqlite"
    # the stand-in's pages hold 2 items: at --page-size 2, a search takes 10 full pages
    estimate = estimate_catalogue(source, db, page_size=2)
    with LocalTmapiServer() as server:
        done = run_cli(
            "bulk", str(source), "--db", str(db), "--no-progress", "--page-size", "2",
            base_url=server.base_url,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        paid = server.search_calls + server.convert_calls
    assert paid == estimate.expected_calls == 1 + 3 * 10
    assert paid <= estimate.max_calls
    again = estimate_catalogue(source, db, page_size=2)
    assert (again.images, again.done, again.to_search, again.max_calls) == (5, 3, 0, 0)
    assert again.shared == 2
