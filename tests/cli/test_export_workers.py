"""`tmapi-search export` of a big database, the CLI as a real subprocess: the CSV body is
written by two processes (bulk/export.py `_csv_two`), and an interrupted export leaves
nothing behind: no output, no temporary file, no worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli_support import ALI, cli_env, cli_path, run_cli
from tmapi_search import spec
from tmapi_search.bulk.export import PARALLEL_ITEMS
from tmapi_search.bulk.store import Store

PER_IMAGE = 20


def build_big_db(path: Path) -> int:
    """Enough items for two processes (`PARALLEL_ITEMS`), as save_done stores them."""
    examples = spec.response_example(name="vendor_two_items")["data"]["items"]
    images = PARALLEL_ITEMS // PER_IMAGE + 50
    with Store(path) as store:
        store.check_params({"language": "en"})
        run = store.start_run("in.csv", {})
        with store.transaction():
            store._db.executemany(
                "INSERT INTO images(id, key, line, img_url, sku, extra, updated_at, url_key)"
                " VALUES (?, ?, ?, ?, ?, '{}', 0, ?)",
                [
                    (n + 1, f"k{n}", n + 2, f"{ALI}?n={n}", f"S{n}", f"{ALI}?n={n}")
                    for n in range(images)
                ],
            )
        for n in range(images):
            items = [
                {**examples[k % len(examples)], "item_id": n * 100 + k} for k in range(PER_IMAGE)
            ]
            store.save_done(n + 1, run, items, total_count=PER_IMAGE, attempts=1)
    return images * PER_IMAGE


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.sqlite"
    build_big_db(path)
    return path


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except FileNotFoundError:
        return []


def _export_csv(db: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [cli_path(), "export", "--db", str(db), "--format", "csv", "--out", str(out)],
        env=cli_env(None),
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_big_csv_export_uses_a_worker_and_matches_jsonl(big_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    process = _export_csv(big_db, out)
    workers: set[int] = set()
    while process.poll() is None:
        workers.update(_children(process.pid))
        time.sleep(0.01)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert workers, "no worker process was seen"
    lines = run_cli("export", "--db", str(big_db), "--format", "jsonl")
    rows = out.read_bytes().decode("utf-8-sig").split("\r\n")
    assert len(rows) - 2 == len(lines.stdout.splitlines())  # header, final line end
    ids = [json.loads(line)["item"]["item_id"] for line in lines.stdout.splitlines()]
    at = rows[0].split(",").index("item.item_id")
    assert [row.split(",")[at] for row in rows[1:-1]] == [str(i) for i in ids]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_big_export_leaves_nothing_behind(
    big_db: Path, tmp_path: Path, signum: int
) -> None:
    process = _export_csv(big_db, tmp_path / "all.csv")
    workers: list[int] = []
    while not workers and process.poll() is None:  # wait for the worker to start
        workers = _children(process.pid)
    assert workers, "the export ended before its worker was seen"
    process.send_signal(signum)  # often while the export forks: held, then delivered
    code = process.wait(timeout=60)
    assert code == 130, process.stderr.read() if process.stderr else ""
    for worker in workers:  # the worker stops too (reaped by the export)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{worker}").exists()
    assert os.listdir(tmp_path) == []  # no output, no temporary file
