"""One writer per results database: an OS lock on a sidecar file, `<db>.lock`.

`tmapi-search bulk` takes `fcntl.flock(LOCK_EX)` on `<db>.lock` before it writes
anything to the database or sends any paid call, and holds it until it ends. The OS
releases the lock when the process ends in any way (SIGKILL included), so a lock never
outlives its run and nobody has to clean it up: the next run takes it and marks the
dead run `interrupted`.

The file also says who holds it (one JSON line: pid, host, start time, run id), so a
second run is refused with a message naming the first, and `status` can tell a run that
is `running` from one whose process is gone.

It also reserves a little disk space (`RESERVE_BYTES` of padding after that line):
when the disk fills up mid-run, the runner gives the space back (`free_reserve()`) so
the run's final state (`failed`, and its counts) can still be written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "RESERVE_BYTES",
    "DatabaseBusyError",
    "LockHolder",
    "RunLock",
    "live_holder",
    "lock_path",
]

#: Disk space kept in the lock file while a run holds it, given back on a storage failure.
RESERVE_BYTES = 64 * 1024
#: How long a non-waiting run retries before refusing (another process may be probing).
_TRY_FOR = 0.3


def lock_path(db: str | Path) -> Path:
    """The sidecar lock file of a results database (beside the real file, symlinks followed).

    Two spellings of one database (a relative path, a symlink) share one lock.
    """
    db = Path(db).resolve()
    return db.with_name(db.name + ".lock")


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
    def read(cls, fd: int) -> LockHolder:
        try:
            head = os.pread(fd, 4096, 0).split(b"\n", 1)[0]
            data: dict[str, Any] = json.loads(head.decode("utf-8") or "{}")
        except (OSError, ValueError):
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


class RunLock:
    """The exclusive lock of one database, held by one `bulk` run."""

    def __init__(self, db: str | Path) -> None:
        self.db = Path(db)
        self.path = lock_path(self.db)
        self._fd: int | None = None
        self._head = b""
        self.started_at = time.time()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, wait: bool = False, on_wait: Any = None) -> None:
        """Take the lock, or raise DatabaseBusyError (without `wait`).

        OSError (a folder that cannot be written, a full disk) propagates.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            deadline = time.monotonic() + _TRY_FOR
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                    holder = LockHolder.read(fd)
                    if not wait:
                        raise DatabaseBusyError(self.db, holder) from None
                    if on_wait is not None:
                        on_wait(holder)
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    break
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.started_at = time.time()
        try:
            self.describe(run_id=None)
        except BaseException:
            self.release()
            raise

    def describe(self, *, run_id: int | None) -> None:
        """Write who holds the lock (and the run id, once known), plus the space reserve."""
        assert self._fd is not None
        head = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": self.started_at,
                "run_id": run_id,
            }
        ).encode()
        fd = self._fd
        os.ftruncate(fd, 0)
        os.pwrite(fd, head + b"\n", 0)
        self._head = head + b"\n"
        padding = b" " * 4095 + b"\n"
        offset = len(self._head)
        while offset < len(self._head) + RESERVE_BYTES:
            written = os.pwrite(fd, padding, offset)
            if written <= 0:  # pragma: no cover - pwrite raises on a full disk
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
            offset += written

    def free_reserve(self) -> None:
        """Give the reserved space back to the file system (the disk is full)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, len(self._head))

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, len(self._head))
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def live_holder(db: str | Path) -> LockHolder | None:
    """The process holding the database's lock now, or None. Reads only; creates nothing."""
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return LockHolder.read(fd)
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
