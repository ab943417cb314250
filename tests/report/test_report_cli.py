"""`tmapi-search report` without a browser: what it reads, what it refuses, what it writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cli_support import TOKEN, run_cli
from tmapi_search import spec
from tmapi_search.bulk.report import CARD_FIELDS, _safe_url, build_report_data, embed_json
from tmapi_search.bulk.store import open_readonly

from .conftest import HOSTILE_COLUMN, HOSTILE_TITLE, Run

REPO_ROOT = Path(__file__).resolve().parents[2]


def embedded(report: Path) -> dict[str, object]:
    html = report.read_text(encoding="utf-8")
    block = r'<script type="application/json" id="report-data">(.*?)</script>'
    found = re.search(block, html, re.S)
    assert found, "no data block"
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_every_input_has_its_account(report_run: Run) -> None:
    data = embedded(report_run.report)
    inputs = data["inputs"]
    assert isinstance(inputs, list)
    assert [(i["sku"], i["st"]) for i in inputs] == [
        ("OK-1", "ok"),
        ("HOSTILE-2", "ok"),
        ("EMPTY-3", "no_match"),
        ("BAD-4", "failed"),
        ("OWN-5", "ok"),
        ("LAST-6", "pending"),
    ]
    assert data["counts"] == {"ok": 3, "no_match": 1, "failed": 1, "pending": 1}
    failed = inputs[3]
    assert failed["err"] == "ParameterError"
    assert spec.error_example(422)["msg"] in failed["msg"]
    assert failed["tr"] is False


def test_the_page_is_self_contained_and_holds_no_token(report_run: Run) -> None:
    html = report_run.report.read_text(encoding="utf-8")
    assert TOKEN not in html
    # no external script, stylesheet or font: the only URLs are images and links of the data
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)
    assert "@import" not in html
    assert "Content-Security-Policy" in html
    # the hostile strings are in the data, escaped, and come back intact when parsed
    assert HOSTILE_TITLE not in html
    assert "\\u003c/script\\u003e" in html
    data = embedded(report_run.report)
    keys = data["cardKeys"]
    cards = [dict(zip(keys, c, strict=True)) for i in data["inputs"] for c in i["cards"]]
    assert HOSTILE_TITLE in [c["t"] for c in cards]
    assert not [c for c in cards if c["u"] and not c["u"].startswith("http")]


def test_embed_json_cannot_close_its_script_element() -> None:
    value = {"t": "</script><!-- <script>&amp;\u2028", "k": ["<", ">", "&"]}
    text = embed_json(value)
    assert not set("<>&") & set(text)
    assert "\u2028" not in text
    assert json.loads(text) == value


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://detail.1688.com/offer/1.html", "https://detail.1688.com/offer/1.html"),
        ("http://880755.1688.com", "http://880755.1688.com"),
        ("//cbu01.alicdn.com/a.jpg", "https://cbu01.alicdn.com/a.jpg"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("/search/imgextra/1692942898123_q7ftzxs9.jpg", None),
        ("https://", None),
        (None, None),
        (42, None),
    ],
)
def test_only_http_urls_become_links_or_images(url: object, kept: str | None) -> None:
    assert _safe_url(url) == kept


def test_the_database_is_opened_read_only_and_left_unchanged(
    report_run: Run, tmp_path: Path
) -> None:
    before = hashlib.sha256(report_run.db.read_bytes()).hexdigest()
    out = tmp_path / "again.html"
    result = run_cli("report", "--db", str(report_run.db), "--out", str(out), token=None)
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(report_run.db.read_bytes()).hexdigest() == before
    conn = open_readonly(report_run.db)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("CREATE TABLE x (a)")
    conn.close()
    # a page to share: readable by others like any file the user writes (not mkstemp's 0600)
    mode = stat.S_IMODE(out.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_top_limits_the_cards_per_input(report_run: Run) -> None:
    one = build_report_data(report_run.db, top=1)
    five = build_report_data(report_run.db, top=5)
    # the first `top` in API order, and the row's shortlist (here both of its 2 matches)
    assert [len(i["cards"]) for i in one["inputs"]] == [2, 2, 0, 0, 2, 0]
    assert [c["sl"] for c in one["inputs"][0]["cards"]] == [1, 2]
    one = build_report_data(report_run.db, top=1, shortlist=0)
    assert [len(i["cards"]) for i in one["inputs"]] == [1, 1, 0, 0, 1, 0]
    assert [len(i["cards"]) for i in five["inputs"]] == [2, 2, 0, 0, 2, 0]
    assert one["inputs"][0]["stored"] == 2


def test_bad_uses_are_refused_with_the_option_named(report_run: Run, tmp_path: Path) -> None:
    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("report", *args, token=None)

    out = tmp_path / "r.html"
    missing = report("--db", str(tmp_path / "nope.sqlite"), "--out", str(out))
    assert missing.returncode == 2
    assert "--db" in missing.stderr and "does not exist" in missing.stderr
    foreign = tmp_path / "other.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (a)").connection.commit()
    refused = report("--db", str(foreign), "--out", str(out))
    assert refused.returncode == 2
    assert "not a tmapi-search results database" in refused.stderr
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello, this is not a database\n" * 100)
    garbage = report("--db", str(not_sqlite), "--out", str(out))
    assert garbage.returncode == 2 and "--db" in garbage.stderr
    no_folder = report("--db", str(report_run.db), "--out", str(tmp_path / "no" / "r.html"))
    assert no_folder.returncode == 2 and "--out" in no_folder.stderr
    itself = report("--db", str(report_run.db), "--out", str(report_run.db), "--force")
    assert itself.returncode == 2 and "is the results database" in itself.stderr
    top = report("--db", str(report_run.db), "--out", str(out), "--top", "0")
    assert top.returncode == 2 and "--top" in top.stderr
    assert not out.exists()
    # an existing file is never replaced without --force
    out.write_text("the user's own file")
    kept = report("--db", str(report_run.db), "--out", str(out))
    assert kept.returncode == 2 and "--force" in kept.stderr
    assert out.read_text() == "the user's own file"
    forced = report("--db", str(report_run.db), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "<!doctype html>" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.html")] == []


def test_open_hands_the_file_url_to_the_default_browser(report_run: Run, tmp_path: Path) -> None:
    seen = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {seen}\n')
    browser.chmod(0o755)
    out = tmp_path / "r.html"
    result = run_cli(
        "report", "--db", str(report_run.db), "--out", str(out), "--open",
        token=None, BROWSER=str(browser),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert seen.read_text() == out.resolve().as_uri()
    # the catalogue's own columns survive, hostile ones included
    extra = embedded(out)["inputs"][1]["extra"]
    assert ["note", HOSTILE_COLUMN] in extra


def test_the_card_reads_only_fields_of_the_contract() -> None:
    schemas = spec.load_spec()["components"]["schemas"]
    for schema, fields in CARD_FIELDS.items():
        missing = set(fields) - set(schemas[schema]["properties"])
        assert not missing, f"{schema}: {missing} not in openapi.yaml"


def test_the_wheel_ships_the_page_template(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--disable-pip-version-check", "-w", str(tmp_path), str(REPO_ROOT)],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("tmapi_search-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        template = archive.read("tmapi_search/bulk/report_template.html")
    assert "tmapi_search/cli/report.py" in names
    source = REPO_ROOT / "src/tmapi_search/bulk/report_template.html"
    assert template == source.read_bytes()


def test_a_report_can_be_written_while_a_bulk_run_holds_the_database(
    report_run: Run, tmp_path: Path
) -> None:
    """WAL: the read-only report reads the last committed state beside a running writer."""
    from tmapi_search.bulk.store import Store

    with Store(report_run.db) as store, store.transaction():
        store._db.execute("UPDATE images SET status = 'pending' WHERE sku = 'OK-1'")
        result = run_cli(
            "report", "--db", str(report_run.db), "--out", str(tmp_path / "r.html"),
            token=None, timeout=30,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        store._db.execute("ROLLBACK")
        store._db.execute("BEGIN")  # the context manager commits on exit
    assert embedded(tmp_path / "r.html")["counts"] == {
        "ok": 3, "no_match": 1, "failed": 1, "pending": 1,
    }  # fmt: skip
