"""What a Windows interpreter lacks, for a subprocess on this machine (tests only).

Put this folder first on a subprocess's PYTHONPATH: Python imports `sitecustomize` at
start-up, before any of the program's code. Two switches, from the environment:

- `AS_ON_WINDOWS_BLOCK=1`: the POSIX-only modules (`fcntl`, `termios`, `resource`,
  `pwd`, `grp`, ...) cannot be imported (`ModuleNotFoundError`, as on Windows), even by
  code that imports them lazily; the ones already loaded by the interpreter's start-up
  are dropped from `sys.modules`. (`posix` itself stays: `os` is built on it here, as it
  is on `nt` there.) filelock then falls back to its soft lock -- Windows has msvcrt,
  which this machine cannot give -- and says so in a warning, silenced here: on Windows
  it is never printed.
- `AS_ON_WINDOWS_HELD=<path>`: `os.replace` onto that path raises `PermissionError` 13,
  as Windows does while another program (Excel) has the file open.
"""

from __future__ import annotations

import errno
import importlib.abc
import os
import sys
import warnings
from typing import Any

BLOCKED = ("fcntl", "termios", "resource", "pwd", "grp", "tty", "pty", "syslog")


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


if os.environ.get("AS_ON_WINDOWS_BLOCK") == "1":
    for _name in BLOCKED:
        sys.modules.pop(_name, None)
    sys.meta_path.insert(0, _Blocker())
    warnings.filterwarnings("ignore", "only soft file lock is available")

_held = os.environ.get("AS_ON_WINDOWS_HELD")
if _held:
    _real_replace = os.replace
    _held_path = os.path.realpath(_held)

    def _replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if os.path.realpath(os.fsdecode(dst)) == _held_path:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(dst))
        _real_replace(src, dst, **kwargs)

    os.replace = _replace
