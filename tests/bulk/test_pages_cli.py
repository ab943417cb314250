"""`tmapi-search bulk` with several pages per image, as a real subprocess.

A 439 between two pages of an image: the page already paid for is in the database
(exported, counted by `status`), and the same command, once the balance is topped up,
pays only for the pages still missing. Counted at the local TMAPI stand-in (bodies from
the contract: two items per page).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_support import run_cli
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
    assert (counts["ok"], counts["pending"], counts["items"]) == (2, 0, 12)
    export = run_cli("export", "--db", str(db), "--format", "jsonl", "--out", str(out), "--force")
    assert export.returncode == 0, export.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["position"] for r in records if r["input"]["sku"] == "B"] == list(range(6))
    assert {r["status"] for r in records} == {"ok"}
