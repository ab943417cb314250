"""Writing a user's file: never over the results database, never half-written.

`check_output(out, db, force=...)` refuses, before anything is written, a target that is
the database (or its `-wal`/`-shm`/`.lock`/`.lock.json`), any SQLite file (even with `force`), a
directory, a missing folder, or an existing file without `force`.

`atomic_write(path)` writes a temporary file beside the target and renames it into place
once complete (fsync'd first): a failed or interrupted export leaves no partial file and
the old target untouched. Without `force` the rename cannot replace a file that appeared
meanwhile (it is a hard link, which fails if the name exists). A target that exists but
is not a regular file (a device such as /dev/null, a FIFO) is written in place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from tmapi_search.bulk.lock import lock_path, record_path
from tmapi_search.bulk.store import is_sqlite_file

__all__ = ["OutputRefusedError", "atomic_write", "check_output", "format_from_name"]


class OutputRefusedError(ValueError):
    """The output path must not be written (the message names `--out`)."""


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_output(out: Path, db: Path | None = None, *, force: bool = False) -> None:
    """Refuse (OutputRefusedError) an output path that must not be written. Reads only."""
    if db is not None:
        protected = [
            db,
            *(Path(f"{db}{suffix}") for suffix in ("-wal", "-shm", "-journal")),
            lock_path(db),
            record_path(db),
        ]
        for path in protected:
            if _same(out, path):
                raise OutputRefusedError(
                    f"--out: {out} is the results database (--db {db}) or one of its files; "
                    "choose another file"
                )
    if out.is_dir():
        raise OutputRefusedError(f"--out: {out} is a directory; give a file name")
    if not out.parent.is_dir():
        raise OutputRefusedError(f"--out: the folder {out.parent} does not exist")
    if not out.exists():
        return
    if not out.is_file():
        return  # a device or a FIFO: written in place, nothing is replaced
    if is_sqlite_file(out):
        raise OutputRefusedError(
            f"--out: {out} is a SQLite database; an export never replaces one (not even "
            "with --force), choose another file"
        )
    if not force:
        raise OutputRefusedError(f"--out: {out} exists; add --force to replace it")


def _new_file_mode(target: Path) -> int:
    with contextlib.suppress(OSError):
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(
    path: Path, *, binary: bool = False, force: bool = False, encoding: str = "utf-8"
) -> Iterator[IO[Any]]:
    """Yield a handle on a temporary file beside `path`; rename it to `path` when done.

    OSError propagates (naming nothing: the caller names the path); the temporary file
    is removed on any failure.
    """
    mode = "wb" if binary else "w"
    if path.exists() and not path.is_file():  # /dev/null, /dev/full, a FIFO
        if binary:
            with path.open(mode) as handle:
                yield handle
        else:
            with path.open(mode, encoding=encoding, newline="") as handle:
                yield handle
        return
    # named before it is made, inside the `try`: an interrupt at any moment (even as the
    # file is being created) still finds and removes it
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, 0o600)
        if binary:
            handle = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _new_file_mode(path))
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the name exists: never replaces a file
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network file systems)
                if path.exists():
                    raise FileExistsError(
                        errno.EEXIST, os.strerror(errno.EEXIST), str(path)
                    ) from None
                os.replace(tmp, path)
            else:
                tmp.unlink()
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def format_from_name(
    out: str | Path | None, fmt: str | None, by_suffix: Mapping[str, str], default: str
) -> str:
    """The format to write `out` in: `fmt` when given, else the one its extension names
    (`by_suffix`: `{".csv": "csv", ...}`); standard output (`out` None or "-"): `fmt`,
    else `default`.

    ValueError (naming `--format` or `--out`) when `fmt` is not one of the formats, when
    it contradicts the extension (a CSV inside `results.xlsx`), or when the extension
    names no format and `fmt` is not given.
    """
    formats = sorted(set(by_suffix.values()), key=list(by_suffix.values()).index)
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in formats:
            raise ValueError(f"--format: must be one of {', '.join(formats)}, got {fmt!r}")
    if out is None or str(out) == "-":
        return fmt or default
    suffix = Path(out).suffix.lower()
    named = by_suffix.get(suffix)
    if named is None:
        if fmt is None:
            raise ValueError(
                f"--out: {out} names no format ({suffix or 'no extension'}; known: "
                f"{', '.join(by_suffix)}); give --format {'|'.join(formats)}, or name the "
                "file for its format"
            )
        return fmt
    if fmt is not None and fmt != named:
        raise ValueError(
            f"--format {fmt} contradicts --out {out} (a {suffix} file is {named}); "
            f"drop --format, or name the file .{fmt}"
        )
    return named
