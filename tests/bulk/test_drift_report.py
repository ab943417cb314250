"""A bulk run against a drifting stand-in: everything saved, `drift` names what strayed.

The stand-in's `drift=True` mode answers each search with an undeclared item field
(`video_url`) and its count as a string (`data.total_count`). The run saves every
answer (the undeclared field included), `tmapi-search drift` exits 1 and names both
paths with their counts (table and JSON), and a database of a clean run exits 0.
"""

from __future__ import annotations

import json
from pathlib import Path

from tmapi_search import spec
from tmapi_search.bulk import read_drift
from tmapi_search.testing import local_tmapi_server

from ..cli_support import ALI, run_cli


def catalogue(path: Path, n: int) -> Path:
    rows = ["sku,img_url", *(f"S{i},{ALI}?n={i}" for i in range(n))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def bulk(tmp_path: Path, name: str, drift: bool) -> Path:
    db = tmp_path / f"{name}.sqlite"
    with local_tmapi_server(drift=drift) as server:
        done = run_cli(
            "bulk",
            str(catalogue(tmp_path / f"{name}.csv", 4)),
            "--db",
            str(db),
            "--max-items-per-image",
            "4",
            base_url=server.base_url,
        )
        calls = server.search_calls
    assert done.returncode == 0, done.stderr
    assert calls == 8  # 4 images x 2 pages of 2 items
    return db


def test_drift_report_of_a_drifting_run_and_of_a_clean_one(tmp_path: Path) -> None:
    db = bulk(tmp_path, "drifting", drift=True)
    exported = tmp_path / "out.jsonl"
    done = run_cli(
        "export", "--db", str(db), "--format", "jsonl", "--out", str(exported), base_url=None
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 16  # saved everything
    assert all("video_url" in json.dumps(row) for row in rows)

    report = run_cli("drift", "--db", str(db), base_url=None)
    assert report.returncode == 1, report.stderr
    assert "data.items[].video_url" in report.stdout and "undeclared" in report.stdout
    assert "data.total_count" in report.stdout and "type" in report.stdout
    as_json = run_cli("drift", "--db", str(db), "--format", "json", base_url=None)
    assert as_json.returncode == 1
    counts = {(e["path"], e["kind"]): e["count"] for e in json.loads(as_json.stdout)}
    items_per_page = len(spec.response_example()["data"]["items"])
    assert counts == {
        ("data.items[].video_url", "undeclared"): 8 * items_per_page,
        ("data.total_count", "type"): 8,
    }
    assert [s.runs for s in read_drift(db)] == [[1], [1]]

    clean = bulk(tmp_path, "clean", drift=False)
    assert read_drift(clean) == []
    report = run_cli("drift", "--db", str(clean), base_url=None)
    assert report.returncode == 0, report.stderr
    assert "no drift" in report.stdout
    assert run_cli("drift", "--db", str(tmp_path / "missing.sqlite"), base_url=None).returncode == 2


def test_drift_refuses_what_is_not_a_results_database(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    text = tmp_path / "notes.txt"
    text.write_text("not a database\n", encoding="utf-8")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    for path in (text, other, tmp_path / "missing.sqlite"):
        with pytest.raises(ValueError, match="--db"):
            read_drift(path)
        assert run_cli("drift", "--db", str(path), base_url=None).returncode == 2
