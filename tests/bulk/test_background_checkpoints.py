"""`Store.background_checkpoints`: during a run the WAL is checkpointed by a thread of its
own (the checkpoint's copying and fsync off the event loop), and afterwards SQLite's own
automatic checkpoints are back. Nothing saved is lost either way."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from tmapi_search.bulk.store import Store


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tmapi-wal-checkpoints"]


def _wal_frames_left(path: Path) -> int:
    """Frames of the WAL not yet copied into the database (a no-op PASSIVE checkpoint
    by another connection reports them; -1: no WAL)."""
    with sqlite3.connect(path) as other:
        _, log, done = other.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()
    return -1 if log == -1 else log - done


def test_a_thread_checkpoints_the_wal_while_inside(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with Store(path) as store:
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        with store.background_checkpoints(every=0.02):
            assert len(_checkpoint_threads()) == 1
            assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
            with store.transaction():
                store._db.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [(f"k{n}", "x" * 500) for n in range(200)],
                )
            deadline = time.monotonic() + 30  # a condition awaited, not a duration
            while _wal_frames_left(path) > 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            # copied into the database while SQLite's own checkpoints are off: the thread
            assert _wal_frames_left(path) == 0
        assert _checkpoint_threads() == []
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    with sqlite3.connect(path) as again:
        assert again.execute("SELECT count(*) FROM meta WHERE key LIKE 'k%'").fetchone()[0] == 200


def test_read_only_stores_start_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    Store(path).close()
    with Store(path, readonly=True) as store, store.background_checkpoints():
        assert _checkpoint_threads() == []
