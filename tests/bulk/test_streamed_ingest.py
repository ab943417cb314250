"""Streamed ingest: a catalogue read into the store batch by batch.

The streamed path (`open_input` -> `Ingestion` batches -> `PendingFeed`) must give what
the whole-file path (`read_input` -> `update_catalogue`/`add_images`/`replace_rejected`
(kept in `_whole_file`) -> `images_to_do`) gave: the same rows, the same to-do set, the
same change report. The runner starts while reading goes on and still pays once per image
URL; a finished run given the same catalogue again is not read again; a run stopped while
reading resumes.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_cli, start_cli
from tmapi_search import AsyncTmapiClient
from tmapi_search.bulk.inputs import InputError, open_input, read_input
from tmapi_search.bulk.reading import CatalogueReader
from tmapi_search.bulk.runner import BulkRunner, BulkSettings, PendingFeed
from tmapi_search.bulk.store import CatalogueChanges, Store
from tmapi_search.testing.local_server import LocalTmapiServer

from ._whole_file import replace_rejected, update_catalogue
from .conftest import ALI, TOKEN

pytestmark = pytest.mark.usefixtures("no_backoff")

COLUMNS = "key, line, img_url, sku, ext_id, extra, status, error_class, error_message, rejected"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def first_catalogue(path: Path) -> Path:
    """Rows of every kind: good, duplicate (near and far), bad URL, ragged, short."""
    lines = ["sku,img_url,brand"]
    for i in range(12):
        lines.append(f"SKU-{i},{ALI}?n={i},brand-{i % 3}")
    lines.insert(3, f"SKU-0,{ALI}?n=0,brand-0")  # duplicate of line 2, same batch
    lines.append(f"SKU-1,{ALI}?n=1,brand-1")  # duplicate of line 3, a later batch
    lines.insert(6, "SKU-BAD,not a url,x")
    lines.insert(8, "SKU-WIDE,https://example.com/a.jpg,x,extra")
    lines.append("SKU-SHORT," + ALI + "?n=short")  # kept, brand blank
    return write(path, lines)


def edited_catalogue(path: Path) -> Path:
    """New, url-changed, edited, gone, duplicate and rejected rows, a new column."""
    lines = ["sku,img_url,brand,colour"]
    for i in range(2, 12):
        brand = "edited" if i == 4 else f"brand-{i % 3}"
        url = f"{ALI}?n={i}" + ("&v=2" if i == 7 else "")
        lines.append(f"SKU-{i},{url},{brand},red")
    lines.append(f"SKU-NEW,{ALI}?n=new,brand-new,blue")
    lines.append(f"SKU-3,{ALI}?n=3,brand-0,red")  # duplicate of line 3
    lines.append("SKU-BAD2,ftp://example.com/a.jpg,x,y")
    return write(path, lines)


def legacy(store: Store, path: Path) -> CatalogueChanges:
    """The whole-file path `bulk` took before streaming."""
    rows = read_input(path)
    db_rows = [image.db_row() for image in rows.images]
    changes = update_catalogue(store, db_rows)
    store.add_images(db_rows)
    replace_rejected(store, [bad.db_row() for bad in rows.bad if bad.duplicate_of is None])
    return changes


def streamed(store: Store, path: Path, batch: int = 2) -> CatalogueReader:
    """The streamed path `bulk` takes now, in tiny batches."""
    catalogue = CatalogueReader(path, open_input(path), lambda event: None)
    assert catalogue.has_image()
    catalogue.start(store, False)
    while not catalogue.finished:
        catalogue.step(batch)
    return catalogue


def content(store: Store) -> list[tuple[Any, ...]]:
    rows = store._db.execute(f"SELECT {COLUMNS} FROM images ORDER BY key").fetchall()
    return [tuple(row) for row in rows]


def pending(store: Store, ingestion: int, *, retry_failed: bool = False) -> list[str]:
    keys: list[str] = []
    after = 0
    while page := store.pending_page(ingestion, after, 3, retry_failed=retry_failed):
        keys.extend(record.key for record in page)
        after = page[-1].line
    return keys


def test_streamed_ingest_equals_the_whole_file_path(tmp_path: Path) -> None:
    path = first_catalogue(tmp_path / "c.csv")
    with Store(tmp_path / "old.sqlite") as old, Store(tmp_path / "new.sqlite") as new:
        legacy(old, path)
        catalogue = streamed(new, path)
        assert content(new) == content(old)
        keys = [image.key for image in read_input(path).images]
        assert pending(new, catalogue.number) == [r.key for r in old.images_to_do(keys)]
        assert new.stored_columns() == old.extra_columns() == ["brand"]
        # the duplicates are reported with the line they repeat, like read_input does
        expected = sorted(str(bad) for bad in read_input(path).bad)
        assert sorted(str(bad) for bad in catalogue.bad) == expected
        assert any("duplicate of line 3" in str(bad) for bad in catalogue.bad)


def test_an_edited_catalogue_gives_the_same_changes_and_rows(tmp_path: Path) -> None:
    first = first_catalogue(tmp_path / "first.csv")
    second = edited_catalogue(tmp_path / "second.csv")
    with Store(tmp_path / "old.sqlite") as old, Store(tmp_path / "new.sqlite") as new:
        legacy(old, first)
        streamed(new, first)
        # a result of the first run, so that status and items must survive the edit
        for store in (old, new):
            run = store.start_run("x", {})
            image = next(i for i in store.images() if i.sku == "SKU-4")
            store.save_done(image.id, run, [{"item_id": 1}], total_count=1, attempts=1)
        changes_old = legacy(old, second)
        catalogue = streamed(new, second)
        assert catalogue.ingestion.changes == changes_old
        assert changes_old.new == 2 and changes_old.url_changed == 1
        assert changes_old.edited == 9 and changes_old.gone == 4  # colour added to every row
        assert changes_old.new_columns == ["colour"]
        assert content(new) == content(old)
        keys = [image.key for image in read_input(second).images]
        assert pending(new, catalogue.number) == [r.key for r in old.images_to_do(keys)]
        edited = next(i for i in new.images() if i.sku == "SKU-4")
        assert edited.status == "done" and edited.extra["brand"] == "edited"
        assert new.stored_columns() == ["brand", "colour"]


async def test_the_same_url_early_and_much_later_is_paid_once(tmp_path: Path) -> None:
    """Reading goes on while the runner searches; a URL seen again later is not re-paid."""
    lines = ["sku,img_url"]
    for i in range(40):
        url = f"{ALI}?n={i}"
        if i in (1, 2):
            url = f"{ALI}?n=shared-early"  # in flight together
        if i in (0, 39):
            url = f"{ALI}?n=first-and-last"  # batch 1 and the last batch
        lines.append(f"SKU-{i},{url}")
    path = write(tmp_path / "c.csv", lines)
    store = Store(tmp_path / "r.sqlite")
    catalogue = CatalogueReader(path, open_input(path), lambda event: None)
    assert catalogue.has_image()
    catalogue.start(store, False)
    catalogue.step(2)
    with LocalTmapiServer(latency=0.01) as server:
        async with AsyncTmapiClient(api_token=TOKEN, base_url=server.base_url) as client:
            runner = BulkRunner(client, store, BulkSettings(max_items_per_image=2, concurrency=4))
            feed = PendingFeed(store, catalogue.number, page=3)
            batches = 1

            async def read_on() -> None:
                nonlocal batches
                try:
                    while catalogue.reading:
                        catalogue.step(2)
                        batches += 1
                        feed.notify()
                        await asyncio.sleep(0.005)
                finally:
                    feed.close()

            run_id = store.start_run(str(path), {})
            reader = asyncio.create_task(read_on())
            stats = await runner.run(feed, run_id)
            await reader
        calls = dict(server.calls_by_url)
    with store:
        assert batches >= 20
        assert (stats.done, store.counts().done) == (40, 40)
        assert max(calls.values()) == 1
        assert len(calls) == 38  # 40 rows, two pairs share a URL
        last = next(i for i in store.images() if i.sku == "SKU-39")
        first = next(i for i in store.images() if i.sku == "SKU-0")
        assert last.served_by == first.id and last.item_count == first.item_count


def bulk_args(path: Path, db: Path, *extra: str) -> list[str]:
    return [
        "bulk",
        str(path),
        "--db",
        str(db),
        "--max-items-per-image",
        "2",
        "--no-progress",
        *extra,
    ]


def test_a_finished_run_is_not_read_again_and_a_changed_file_is(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", ["sku,img_url"] + [f"S{i},{ALI}?n={i}" for i in range(5)])
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        first = run_cli(*bulk_args(path, db), base_url=server.base_url)
        assert first.returncode == 0, first.stderr
        assert server.search_calls == 5
        again = run_cli(*bulk_args(path, db), base_url=server.base_url)
        assert again.returncode == 0, again.stderr
        assert "unchanged since it was last read (5 row(s), 0 rejected" in again.stderr
        assert "5 image(s) already finished, skipped" in again.stderr
        assert server.search_calls == 5  # no call
        path.write_text(path.read_text() + f"S9,{ALI}?n=9\n")
        changed = run_cli(*bulk_args(path, db), base_url=server.base_url)
        assert changed.returncode == 0, changed.stderr
        assert "unchanged" not in changed.stderr
        assert "changed since the last run: 1 new row(s), searched" in changed.stderr
        assert server.search_calls == 6
        # the same bytes read with other options is another reading
        other = run_cli(*bulk_args(path, db, "--delimiter", ","), base_url=server.base_url)
        assert other.returncode == 0 and "unchanged" not in other.stderr
        assert server.search_calls == 6


def catalogue_rows(db: Path) -> tuple[int, bool]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5) as conn:
            count = conn.execute("SELECT count(*) FROM images").fetchone()[0]
            closed = conn.execute("SELECT 1 FROM meta WHERE key = 'catalogue'").fetchone()
            return int(count), closed is not None
    except sqlite3.Error:
        return 0, False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopped_while_reading_a_big_catalogue_then_resumed(
    tmp_path: Path, signum: signal.Signals
) -> None:
    """The real CLI, a catalogue many batches long, stopped while still reading."""
    rows = 30_000
    path = write(
        tmp_path / "big.csv", ["sku,img_url,brand"] + [f"S{i},{ALI}?n={i},b" for i in range(rows)]
    )
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(latency=0.3) as server:
        process = start_cli(*bulk_args(path, db, "--concurrency", "2"), base_url=server.base_url)
        deadline = time.monotonic() + 60
        while catalogue_rows(db)[0] <= 2000:  # reading on while the first calls are made
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signum)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        stored, closed = catalogue_rows(db)
        assert 2000 < stored < rows and not closed, err
        assert "stopped while reading" in err
        with Store(db, create=False) as store:
            done_before = {i.key for i in store.images("done")}
            assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        calls_before = dict(server.calls_by_url)

        again = start_cli(*bulk_args(path, db, "--concurrency", "2"), base_url=server.base_url)
        while not catalogue_rows(db)[1]:  # read to its end this time
            assert again.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        again.send_signal(signal.SIGTERM)
        _out, err = again.communicate(timeout=60)
        assert again.returncode == 130, err
        assert "stopped while reading" not in err
        with Store(db, create=False) as store:
            assert store.counts().total == rows
            assert done_before <= {i.key for i in store.images("done")}
        assert calls_before  # the first run had started paying while it read
        assert max(server.calls_by_url.values()) == 1  # nothing was paid for twice


def test_a_row_csv_cannot_read_is_an_input_error_naming_the_line(tmp_path: Path) -> None:
    huge = "x" * 200_000  # longer than the csv module's field limit
    path = write(tmp_path / "c.csv", ["sku,img_url", f"S1,{ALI}", f'S2,"{huge}"', f"S3,{ALI}?3"])
    with pytest.raises(InputError, match=r"c\.csv: line 3: field larger than field limit"):
        read_input(path)
    result = run_cli(*bulk_args(path, tmp_path / "r.sqlite"), base_url="http://127.0.0.1:9")
    assert result.returncode == 2, result.stderr
    assert "line 3: field larger than field limit" in result.stderr
    assert "nothing was sent" in result.stderr


def test_stopped_while_reading_before_any_call_then_resumed(tmp_path: Path) -> None:
    """A finished run given an edited catalogue reads it all before the first call:
    SIGTERM then stops with nothing sent, the database as it was, ready to resume."""
    rows = 30_000
    lines = ["sku,img_url"] + [f"S{i},{ALI}?n={i}" for i in range(rows)]
    path = write(tmp_path / "big.csv", lines)
    db = tmp_path / "r.sqlite"
    with Store(db) as store:  # a finished run of the catalogue (results faked: no items)
        catalogue = streamed(store, path, batch=5000)
        number = catalogue.number
        store._db.execute("UPDATE images SET status = 'done', item_count = 0")
    path.write_text("\n".join([*lines, f"S-last,{ALI}?n=last"]) + "\n", encoding="utf-8")
    with LocalTmapiServer() as server:
        process = start_cli(*bulk_args(path, db), base_url=server.base_url)
        deadline = time.monotonic() + 60
        while True:  # the new reading has begun restamping the known rows
            with Store(db, create=False) as store:
                if store._db.execute(
                    "SELECT count(*) FROM images WHERE seen_in > ?", (number,)
                ).fetchone()[0]:
                    break
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "interrupted while reading" in err and "nothing was sent" in err
        assert server.search_calls == 0
        again = run_cli(*bulk_args(path, db), base_url=server.base_url)
        assert again.returncode == 0, again.stderr
        assert "1 new row(s), searched" in again.stderr
        assert f"{rows} image(s) already finished, skipped" in again.stderr
        assert server.search_calls == 1
