"""One writer per results database: an OS lock on `<db>.lock`, its holder in `<db>.lock.json`.

A bulk run takes the lock before it writes anything to the database or sends any paid
call, and holds it until it ends. The lock is `filelock.FileLock`: `fcntl.flock` on
Linux and macOS, `msvcrt.locking` on Windows. Either way the OS releases it when the
process ends in any way (a kill included), so a lock never outlives its run and nobody
has to clean it up: the next run takes it and marks the dead run `interrupted`.

Who holds it (pid, host, start time, run id) is written beside it, in `<db>.lock.json`
(replaced whole, never half-written): a second run is refused with a message naming the
first, and `status` can tell a run that is `running` from one whose process is gone. The
record is separate from the lock file because Windows forbids reading a locked byte range
to other processes.

The record also reserves a little disk space (`RESERVE_BYTES` of padding after the JSON):
when the disk fills up mid-run, the runner gives the space back (`free_reserve()`) so the
run's final state (`failed`, and its counts) can still be written.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

__all__ = [
    "RESERVE_BYTES",
    "DatabaseBusyError",
    "LockHolder",
    "RunLock",
    "live_holder",
    "lock_path",
    "record_path",
]

#: Disk space kept in the holder record while a run holds the lock, given back on a
#: storage failure.
RESERVE_BYTES = 64 * 1024
#: How long a non-waiting run retries before refusing (another process may be probing).
_TRY_FOR = 0.3
_POLL = 0.05
#: Windows refuses to replace a file another process has open (`status` reading it):
#: how many times the record's replacement is tried again, `_POLL` apart.
_REPLACE_TRIES = 20


def lock_path(db: str | Path) -> Path:
    """The sidecar lock file of a results database (beside the real file, symlinks followed).

    Two spellings of one database (a relative path, a symlink) share one lock.
    """
    db = Path(db).resolve()
    return db.with_name(db.name + ".lock")


def record_path(db: str | Path) -> Path:
    """The file naming the lock's holder: `<db>.lock.json`."""
    path = lock_path(db)
    return path.with_name(path.name + ".json")


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds (or last held) the lock of a database."""

    pid: int | None = None
    host: str | None = None
    started_at: float | None = None
    run_id: int | None = None

    def describe(self) -> str:
        when = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started_at))
            if self.started_at
            else "an unknown time"
        )
        return f"pid {self.pid or '?'} on {self.host or '?'}, started {when}"

    @classmethod
    def read(cls, db: str | Path) -> LockHolder:
        """The holder recorded for `db` (fields None where nothing readable is recorded)."""
        try:
            data: Any = json.loads(record_path(db).read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            pid=data.get("pid"),
            host=data.get("host"),
            started_at=data.get("started_at"),
            run_id=data.get("run_id"),
        )


class DatabaseBusyError(RuntimeError):
    """Another live process holds the database."""

    def __init__(self, db: Path, holder: LockHolder) -> None:
        self.db = db
        self.holder = holder
        super().__init__(
            f"--db: {db} is in use by another bulk run ({holder.describe()}); "
            "wait for it to end, or add --wait to start when it does"
        )


def _os_lock(path: Path) -> filelock.BaseFileLock:
    # not thread-local: the lock belongs to the run, whichever thread releases it
    return filelock.FileLock(path, thread_local=False)


def _replace(tmp: Path, target: Path) -> None:
    for attempt in range(_REPLACE_TRIES):
        try:
            os.replace(tmp, target)
            return
        except PermissionError:  # Windows: a reader has the record open for a moment
            if attempt == _REPLACE_TRIES - 1:
                raise
            time.sleep(_POLL)


class RunLock:
    """The exclusive lock of one database, held by one `bulk` run."""

    def __init__(self, db: str | Path) -> None:
        self.db = Path(db)
        self.path = lock_path(self.db)
        self.record = record_path(self.db)
        self._lock = _os_lock(self.path)
        self._head = b""
        self.started_at = time.time()

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self, *, wait: bool = False, on_wait: Any = None) -> None:
        """Take the lock, or raise DatabaseBusyError (without `wait`).

        With `wait`, `on_wait(holder)` is called once and the lock is waited for.
        OSError (a folder that cannot be written, a full disk) propagates.
        """
        try:
            self._lock.acquire(timeout=_TRY_FOR, poll_interval=_POLL)
        except filelock.Timeout:
            holder = LockHolder.read(self.db)
            if not wait:
                raise DatabaseBusyError(self.db, holder) from None
            if on_wait is not None:
                on_wait(holder)
            self._lock.acquire(timeout=-1, poll_interval=_POLL)
        self.started_at = time.time()
        try:
            self.describe(run_id=None)
        except BaseException:
            self.release()
            raise

    def describe(self, *, run_id: int | None) -> None:
        """Record who holds the lock (and the run id, once known), plus the space reserve."""
        assert self.held
        head = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": self.started_at,
                "run_id": run_id,
            }
        ).encode()
        self._head = head + b"\n"
        # the JSON alone replaces the record (readers never see half of it), then the
        # reserve is appended in place: blanks after JSON are still JSON
        fd, name = tempfile.mkstemp(dir=self.record.parent, prefix=f".{self.record.name}.")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._head)
            _replace(tmp, self.record)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        padding = b" " * (RESERVE_BYTES - 1) + b"\n"
        with self.record.open("ab") as handle:
            handle.write(padding)

    def _trim(self) -> None:
        if self._head:
            with contextlib.suppress(OSError):
                os.truncate(self.record, len(self._head))

    def free_reserve(self) -> None:
        """Give the reserved space back to the file system (the disk is full)."""
        if self.held:
            self._trim()

    def release(self) -> None:
        """Release the lock; the record stays (without its reserve), naming the last holder."""
        if self.held:
            self._trim()
            self._lock.release()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def live_holder(db: str | Path) -> LockHolder | None:
    """The process holding the database's lock now, or None. Writes nothing to the record;
    creates no lock file where there is none."""
    path = lock_path(db)
    if not path.is_file():
        return None
    probe = _os_lock(path)
    try:
        probe.acquire(timeout=0)
    except filelock.Timeout:
        return LockHolder.read(db)
    except OSError:  # cannot be opened here (read-only media): nobody can be writing
        return None
    probe.release()
    return None
