"""`tmapi-search export` of a big database, the CLI as a real subprocess: an export
stopped by Ctrl-C or SIGTERM exits 130 and leaves nothing behind (no output, no
temporary file); an export left to finish writes every row, CSV and JSONL alike."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import ALI, cli_env, cli_path, run_cli
from tmapi_search import spec
from tmapi_search.bulk.store import Store

PER_IMAGE = 20
IMAGES = 1_500


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`IMAGES` x `PER_IMAGE` items, as save_done stores them."""
    path = tmp_path_factory.mktemp("big") / "big.sqlite"
    examples = spec.response_example(name="vendor_two_items")["data"]["items"]
    with Store(path) as store:
        store.check_params({"language": "en"})
        run = store.start_run("in.csv", {})
        with store.transaction():
            store._db.executemany(
                "INSERT INTO images(id, key, line, img_url, sku, extra, updated_at, url_key)"
                " VALUES (?, ?, ?, ?, ?, '{}', 0, ?)",
                [
                    (n + 1, f"k{n}", n + 2, f"{ALI}?n={n}", f"S{n}", f"{ALI}?n={n}")
                    for n in range(IMAGES)
                ],
            )
        for n in range(IMAGES):
            items = [
                {**examples[k % len(examples)], "item_id": n * 100 + k} for k in range(PER_IMAGE)
            ]
            store.save_done(n + 1, run, items, total_count=PER_IMAGE, attempts=1)
    return path


def test_a_big_csv_export_matches_jsonl(big_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    run_cli("export", "--db", str(big_db), "--format", "csv", "--out", str(out))
    lines = run_cli("export", "--db", str(big_db), "--format", "jsonl").stdout.splitlines()
    rows = out.read_bytes().decode("utf-8-sig").split("\r\n")
    assert len(rows) - 2 == len(lines) == IMAGES * PER_IMAGE  # header, final line end
    ids = [json.loads(line)["item"]["item_id"] for line in lines]
    at = rows[0].split(",").index("item.item_id")
    assert [row.split(",")[at] for row in rows[1:-1]] == [str(i) for i in ids]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_export_leaves_nothing_behind(
    big_db: Path, tmp_path: Path, signum: int
) -> None:
    out = tmp_path / "all.csv"
    process = subprocess.Popen(
        [cli_path(), "export", "--db", str(big_db), "--format", "csv", "--out", str(out)],
        env=cli_env(None),
        stderr=subprocess.PIPE,
        text=True,
    )
    while not os.listdir(tmp_path) and process.poll() is None:  # the temporary output
        pass
    assert process.poll() is None, "the export ended before it could be interrupted"
    process.send_signal(signum)
    code = process.wait(timeout=60)
    assert code == 130, process.stderr.read() if process.stderr else ""
    assert os.listdir(tmp_path) == []  # no output, no temporary file
