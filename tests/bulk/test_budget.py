"""What a run would pay (`estimate_catalogue`), and `max_calls` (the runner's cap)."""

from __future__ import annotations

import json
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


def test_dry_run_pays_nothing_and_counts_right(tmp_path: Path) -> None:
    source = catalogue(tmp_path / "c.csv")
    db = tmp_path / "run.sqlite"
    with LocalTmapiServer() as server:
        done = run_cli(
            "bulk", str(source), "--db", str(db), "--dry-run", "--json", base_url=server.base_url
        )
        assert server.search_calls == server.convert_calls == 0
    assert done.returncode == 0, done.stderr
    estimate = json.loads(done.stdout)
    assert {k: estimate[k] for k in ("images", "to_search", "shared", "conversions")} == {
        "images": 5, "to_search": 3, "shared": 2, "conversions": 1,
    }  # fmt: skip
    assert estimate["max_calls"] >= estimate["expected_calls"] == 4
    assert not db.exists()  # nothing written
    text = run_cli("bulk", str(source), "--db", str(db), "--dry-run", token=None)
    assert text.returncode == 0, text.stderr  # no token needed: nothing is sent
    assert "2 row(s) served by a shared search" in text.stdout
    assert "1 conversion(s) needed" in text.stdout
    refused = run_cli("bulk", str(source), "--db", str(db), "--json", token=None)
    assert refused.returncode == 2 and "--json: only with --dry-run" in refused.stderr


def test_dry_run_reads_the_catalogue_as_the_run_would(tmp_path: Path) -> None:
    """--image-column / --sku-column reach the estimate, as every reading option does."""
    source = tmp_path / "odd.csv"
    source.write_text(f"pic (main),code\n{ALI}?n=1,A\n{ALI}?n=2,B\n", encoding="utf-8")
    args = ("bulk", str(source), "--db", str(tmp_path / "r.sqlite"), "--dry-run", "--json")
    refused = run_cli(*args, token=None)
    assert refused.returncode == 2 and "--image-column" in refused.stderr
    named = run_cli(*args, "--image-column", "pic (main)", "--sku-column", "code", token=None)
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["to_search"] == 2


def test_max_calls_pays_at_most_n_and_the_rerun_finishes(tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(
        "sku,img_url\n" + "".join(f"S{i},{ALI}?n={i}\n" for i in range(25)), encoding="utf-8"
    )
    db = tmp_path / "run.sqlite"
    with LocalTmapiServer(latency=0.01) as server:
        first = run_cli(
            "bulk", str(source), "--db", str(db), "--no-progress", "--max-calls", "10",
            "--max-items-per-image", "2", "--concurrency", "4", base_url=server.base_url,
        )  # fmt: skip
        paid_first = server.search_calls + server.convert_calls
        assert first.returncode == 8, first.stdout + first.stderr
        assert paid_first <= 10
        assert "--max-calls 10 reached" in first.stderr
        left = 25 - paid_first  # one call per image here (2 items: one page)
        assert f"{left} image(s) left to search" in first.stderr
        second = run_cli(
            "bulk", str(source), "--db", str(db), "--no-progress",
            "--max-items-per-image", "2", "--concurrency", "4", base_url=server.base_url,
        )  # fmt: skip
        assert second.returncode == 0, second.stdout + second.stderr
        # every image paid for once: the first run's are never asked for again
        assert server.search_calls == 25
        assert max(server.calls_by_url.values()) == 1
    assert "25 done, 0 failed, 0 pending of 25 images" in second.stdout


def test_the_python_api_has_the_cap_and_the_estimate(tmp_path: Path) -> None:
    import pytest

    from tmapi_search.bulk import BudgetReachedError, estimate_catalogue, run_catalogue

    source = tmp_path / "c.csv"
    source.write_text(
        "sku,img_url\n" + "".join(f"S{i},{ALI}?n={i}\n" for i in range(6)), encoding="utf-8"
    )
    db = tmp_path / "run.sqlite"
    assert estimate_catalogue(source, db, max_items_per_image=2).expected_calls == 6
    with LocalTmapiServer() as server:
        summary = run_catalogue(
            source, db, api_token="tok-BUDGET-5e1", base_url=server.base_url, max_items_per_image=2,
            concurrency=1, max_calls=3,
        )  # fmt: skip
        assert server.search_calls == 3
    assert (summary.outcome, summary.calls, summary.pending) == ("budget", 3, 3)
    with pytest.raises(BudgetReachedError):
        summary.raise_for_outcome()
    assert estimate_catalogue(source, db, max_items_per_image=2).to_search == 3
