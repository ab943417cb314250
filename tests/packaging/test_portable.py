"""Nothing in `src/tmapi_search` assumes POSIX where Windows users would hit it.

An AST walk over every module:
- no POSIX-only module imported at module level (importing the package on Windows would
  fail); inside a function it is allowed only under a `try` that handles ImportError (a
  fallback for an optional figure);
- no POSIX-only function of `os` or `signal` used in a function that does not check for
  it (`hasattr(os, "statvfs")`, `sys.platform`, `os.name`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tmapi_search"

POSIX_ONLY_MODULES = {
    "fcntl",
    "termios",
    "resource",
    "pwd",
    "grp",
    "tty",
    "pty",
    "posix",
    "syslog",
    "crypt",
    "spwd",
    "nis",
}
POSIX_ONLY = {
    "os": {
        "fork",
        "forkpty",
        "statvfs",
        "fstatvfs",
        "sched_getaffinity",
        "killpg",
        "getpgid",
        "setsid",
        "setpgrp",
        "getuid",
        "geteuid",
        "getgid",
        "pread",
        "pwrite",
        "wait3",
        "wait4",
        "mkfifo",
        "sync",
        "O_CLOEXEC",
        "O_NOFOLLOW",
        "ST_RDONLY",
        "register_at_fork",
    },
    "signal": {
        "SIGKILL",
        "SIGHUP",
        "SIGUSR1",
        "SIGUSR2",
        "SIGQUIT",
        "SIGCHLD",
        "SIGPIPE",
        "SIGALRM",
        "pthread_sigmask",
        "pthread_kill",
        "setitimer",
        "alarm",
        "pause",
        "siginterrupt",
    },
}
GUARDS = ("hasattr(", "sys.platform", "os.name")


def modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def _handles_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        names = handler.type
        caught = (
            [names]
            if isinstance(names, ast.Name)
            else (names.elts if isinstance(names, ast.Tuple) else [])
        )
        if handler.type is None or any(
            isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
            for n in caught
        ):
            return True
    return False


def posix_imports(tree: ast.Module) -> list[str]:
    """POSIX-only imports at module level, or in a function without an ImportError fallback."""
    found: list[str] = []

    def visit(node: ast.AST, in_function: bool, guarded: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                if name.partition(".")[0] in POSIX_ONLY_MODULES and not (in_function and guarded):
                    where = "in a function without a fallback" if in_function else "at module level"
                    found.append(f"line {node.lineno}: import {name} {where}")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function = True
        if isinstance(node, ast.Try) and _handles_import_error(node):
            for child in node.body:
                visit(child, in_function, True)
            for part in (*node.handlers, *node.orelse, *node.finalbody):
                visit(part, in_function, guarded)
            return
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == ("TYPE_CHECKING")
        ):
            return  # never runs
        for child in ast.iter_child_nodes(node):
            visit(child, in_function, guarded)

    visit(tree, False, False)
    return found


def unguarded_calls(tree: ast.Module, source: str) -> list[str]:
    """POSIX-only `os.X` / `signal.X` used in a scope that never checks for them."""
    found: list[str] = []

    def scope_checks(scope: ast.AST) -> bool:
        text = ast.get_source_segment(source, scope) or ""
        return any(guard in text for guard in GUARDS)

    def visit(node: ast.AST, scope: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = node
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr in POSIX_ONLY.get(node.value.id, ())
            and not scope_checks(scope)
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, tree)
    return found


# Used only on a path that a guard elsewhere in the module opens: (module, use) -> why.
KNOWN_GUARDED = {
    ("bulk/export.py", "os.fork"): "_workers() returns 2 only where hasattr(os, 'fork') on Linux",
    ("bulk/export.py", "signal.pthread_sigmask"): "the forked export (Linux only, as above)",
}


@pytest.mark.parametrize("path", list(modules()), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_posix_assumption(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    relative = path.relative_to(PACKAGE).as_posix()
    problems = posix_imports(tree) + [
        use
        for use in unguarded_calls(tree, source)
        if (relative, use.partition(": ")[2]) not in KNOWN_GUARDED
    ]
    assert problems == [], f"{relative}: POSIX-only, would fail on Windows: {problems}"


def test_the_walk_finds_what_it_looks_for() -> None:
    bad = (
        "import fcntl\n"
        "from resource import getrusage\n"
        "import os\n"
        "def f():\n"
        "    import pwd\n"
        "    return os.statvfs('.')\n"
        "def g():\n"
        "    try:\n"
        "        import resource\n"
        "    except ImportError:\n"
        "        return None\n"
        "    if hasattr(os, 'statvfs'):\n"
        "        return os.statvfs('.')\n"
    )
    tree = ast.parse(bad)
    assert posix_imports(tree) == [
        "line 1: import fcntl at module level",
        "line 2: import resource at module level",
        "line 5: import pwd in a function without a fallback",
    ]
    assert unguarded_calls(tree, bad) == ["line 6: os.statvfs"]
