"""No code made at run time, no forked processes: `src/` never calls `exec`, `eval` or
`compile` (the builtins: `re.compile` is fine) nor `os.fork`. Read from the syntax trees,
so neither a comment nor a string trips it, and an alias (`run = exec`) does."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
BUILTINS = {"exec", "eval", "compile"}
FORKS = {"fork", "forkpty"}


def dynamic_code(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in BUILTINS:
            found.append(f"line {node.lineno}: {node.id}")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (
                (node.value.id == "os" and node.attr in FORKS)
                or (node.value.id == "builtins" and node.attr in BUILTINS)
            )
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "builtins"):
            names = {alias.name for alias in node.names} & (FORKS | BUILTINS)
            found.extend(f"line {node.lineno}: from {node.module} import {n}" for n in names)
    return found


def test_src_makes_no_code_at_run_time_and_never_forks() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 20
    found = {
        str(path.relative_to(SRC)): hits
        for path in files
        if (hits := dynamic_code(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}


def test_the_scan_sees_each_form() -> None:
    source = (
        "import os, re, builtins\nfrom os import fork\nexec('x')\nrun = eval\n"
        "compile('1', 'f', 'eval')\nos.fork()\nbuiltins.exec('y')\nre.compile('z')\n"
    )
    assert len(dynamic_code(ast.parse(source))) == 6
