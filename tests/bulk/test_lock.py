"""`tmapi_search.bulk.lock` in one process: the rules, whatever lock filelock picked.

(The OS releasing the lock of a killed process: tests/bulk/test_safety.py; the same
without the POSIX-only modules: tests/e2e/test_without_posix_modules.py.)
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest

from tmapi_search.bulk.atomic import OutputRefusedError, check_output
from tmapi_search.bulk.lock import (
    RESERVE_BYTES,
    DatabaseBusyError,
    LockHolder,
    RunLock,
    live_holder,
    lock_path,
    record_path,
)


def test_the_holder_is_recorded_beside_the_lock_with_the_reserve(tmp_path: Path) -> None:
    db = tmp_path / "目录 r.sqlite"
    with RunLock(db) as lock:
        lock.acquire()
        lock.describe(run_id=7)
        record = record_path(db)
        assert record == tmp_path / "目录 r.sqlite.lock.json"
        assert record.stat().st_size > RESERVE_BYTES
        data = json.loads(record.read_bytes())  # the padding is blanks: still JSON
        assert (data["pid"], data["host"], data["run_id"]) == (os.getpid(), socket.gethostname(), 7)
        lock.free_reserve()
        assert record.stat().st_size < 200
    assert not lock.held
    assert LockHolder.read(db).run_id == 7  # the last holder stays named
    # the lock file stays on POSIX (filelock removes it on Windows); no temporary file
    assert {p.name for p in tmp_path.iterdir()} - {"目录 r.sqlite.lock"} == {
        "目录 r.sqlite.lock.json"
    }


def test_a_second_lock_is_refused_naming_the_first(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    with RunLock(db) as first:
        first.acquire()
        assert live_holder(db) == LockHolder.read(db)
        with pytest.raises(DatabaseBusyError) as refused:
            RunLock(db).acquire()
        assert f"pid {os.getpid()} on {socket.gethostname()}" in str(refused.value)
        assert "--wait" in str(refused.value)
    assert live_holder(db) is None


def test_wait_takes_the_lock_when_the_holder_lets_go(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    first = RunLock(db)
    first.acquire()
    waiting = threading.Event()
    seen: list[LockHolder] = []
    second = RunLock(db)

    def on_wait(holder: LockHolder) -> None:
        seen.append(holder)
        waiting.set()

    # another thread, as another run would be (filelock refuses to wait in the holder's)
    taker = threading.Thread(target=second.acquire, kwargs={"wait": True, "on_wait": on_wait})
    taker.start()
    assert waiting.wait(30)
    assert not second.held
    first.release()
    taker.join(30)
    try:
        assert second.held and not first.held
        assert [h.pid for h in seen] == [os.getpid()]
    finally:
        second.release()


def test_status_creates_no_lock_file(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    assert live_holder(db) is None
    assert list(tmp_path.iterdir()) == []


def test_an_export_never_replaces_the_lock_or_its_record(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    with RunLock(db) as lock:
        lock.acquire()
        for path in (lock_path(db), record_path(db)):
            with pytest.raises(OutputRefusedError, match="results database"):
                check_output(path, db, force=True)
