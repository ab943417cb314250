"""The layout's arrows only point down: cli -> bulk -> SDK; testing -> SDK.

An AST walk over every module of `src/tmapi_search` (imports inside functions and under
`TYPE_CHECKING` count too: an arrow is an arrow), and a fresh interpreter showing that
importing the SDK loads none of the extras' packages.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tmapi_search"
PARTS = ("cli", "bulk", "testing")

# Which of the package's parts each part may not import from. "sdk" is every module at the
# package root (client, errors, retries, paging, validation, images, auth, spec, ...).
FORBIDDEN: dict[str, set[str]] = {
    "sdk": {"cli", "bulk", "testing"},
    "bulk": {"cli", "testing"},
    "testing": {"cli", "bulk"},
    "cli": {"testing"},
}
# `python -m tmapi_search` is the CLI's entry point, not part of the SDK: nothing imports
# it (`import tmapi_search` never runs it), and all it does is call `tmapi_search.cli`.
ENTRY_POINTS = {"tmapi_search.__main__": {"tmapi_search.cli"}}

# What the extras bring; `import tmapi_search` must load none of them. (httpx itself
# imports click and rich when they are installed, for its own `httpx` command: so the
# check is "nothing beyond what `import httpx` loads"; the wheel test shows them absent
# from a core-only install.)
EXTRAS_MODULES = ("typer", "rich", "click", "respx", "jsonschema", "yaml", "pytest")


def loaded_beyond_httpx(imports: str) -> list[str]:
    """The extras' packages that `imports` loads in a fresh interpreter after `import httpx`."""
    code = (
        "import json, sys\n"
        "import httpx\n"
        "before = set(sys.modules)\n"
        f"{imports}\n"
        "new = {name.partition('.')[0] for name in set(sys.modules) - before}\n"
        f"print(json.dumps(sorted(new & set({EXTRAS_MODULES!r}))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """`sdk`, `cli`, `bulk` or `testing` for a module of the package."""
    pieces = module.split(".")
    if len(pieces) > 1 and pieces[1] in PARTS:
        return pieces[1]
    return "sdk"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from tmapi_search import cli` imports the subpackage too
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        allowed = ENTRY_POINTS.get(source, set())
        forbidden = FORBIDDEN[part_of(source)]
        for line, target in imported_modules(path):
            if not target.startswith("tmapi_search.") or any(
                target == ok or target.startswith(f"{ok}.") for ok in allowed
            ):
                continue
            if part_of(target) in forbidden:
                where = path.relative_to(PACKAGE.parent)
                found.append(f"{where}:{line}: {part_of(source)} module {source} imports {target}")
    return found


def test_the_package_has_the_three_parts() -> None:
    modules = {module_name(path) for path in PACKAGE.rglob("*.py")}
    for part in PARTS:
        assert f"tmapi_search.{part}" in modules
    assert {"tmapi_search.client", "tmapi_search.errors", "tmapi_search.retries"} <= modules


def test_arrows_only_point_down() -> None:
    """SDK never imports cli/bulk/testing; bulk never cli/testing; testing never cli/bulk."""
    assert violations() == []


def test_the_rule_catches_a_forbidden_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk sees absolute, relative, nested and `import_module` imports (it can fail)."""
    fake = tmp_path / "tmapi_search"
    (fake / "bulk").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "client.py").write_text(
        "def f():\n    from tmapi_search.bulk import runner\n"
        "import importlib\nimportlib.import_module('tmapi_search.testing.mock')\n"
    )
    (fake / "bulk" / "__init__.py").write_text("")
    (fake / "bulk" / "runner.py").write_text("from ..cli import app\nfrom . import store\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    found = violations()
    assert any(
        "client.py:2: sdk module tmapi_search.client imports tmapi_search.bulk" in v for v in found
    )
    assert any("client.py:4:" in v and "tmapi_search.testing.mock" in v for v in found)
    assert any("runner.py:1: bulk module" in v and "tmapi_search.cli" in v for v in found)
    assert not any("store" in v for v in found)


def test_importing_the_sdk_loads_no_extra() -> None:
    """`import tmapi_search` (and every SDK module) in a fresh interpreter: no extras loaded."""
    sdk_modules = sorted(
        module_name(path) for path in PACKAGE.glob("*.py") if path.name != "__main__.py"
    )
    assert "tmapi_search.client" in sdk_modules and "tmapi_search" in sdk_modules
    imports = "\n".join(f"import {name}" for name in sdk_modules)
    assert loaded_beyond_httpx(imports) == []


def test_importing_bulk_and_the_plugin_loads_no_cli() -> None:
    """The engine is for Python users too; the pytest plugin loads in every user's suite."""
    imports = (
        "import tmapi_search.bulk, tmapi_search.bulk.export, tmapi_search.bulk.inputs\n"
        "import tmapi_search.testing, tmapi_search.testing.plugin"
    )
    assert loaded_beyond_httpx(imports) == ["pytest"]


def test_the_import_check_can_fail() -> None:
    assert "typer" in loaded_beyond_httpx("import tmapi_search.cli.app")


# -- no SQL in the commands; no import circles ----------------------------------------------
#: What SQL looks like in a string: the commands call the engine, they never query.
SQL = re.compile(
    r"\bSELECT\b[\s\S]+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bPRAGMA\s+\w|\bCREATE\s+(?:TABLE|INDEX)\b|\bBEGIN\s+IMMEDIATE\b"
)


def sql_in_cli() -> list[str]:
    """`sqlite3` imported, or SQL written, by a module of `cli/`."""
    found = []
    for path in sorted((PACKAGE / "cli").rglob("*.py")):
        where = path.relative_to(PACKAGE.parent)
        for line, target in imported_modules(path):
            if target == "sqlite3" or target.startswith("sqlite3."):
                found.append(f"{where}:{line}: imports {target}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and SQL.search(text):
                found.append(f"{where}:{node.lineno}: SQL {text[:40]!r}")
    return found


def _runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules `path` imports when it runs (not under `if TYPE_CHECKING:`).

    `from package import module` is an arrow to the module, not to the package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            subs = {f"{target}.{alias.name}" for alias in node.names} & modules
            found.update(subs or {target})
    return found & modules


def import_circles() -> list[list[str]]:
    """Every circle of imports among the package's modules (each once, smallest first)."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: _runtime_imports(path, set(paths)) - {name} for name, path in paths.items()}
    circles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in sorted(graph):
        # the shortest way back to `start`, breadth first
        paths_to: dict[str, list[str]] = {start: [start]}
        queue = [start]
        while queue:
            current = queue.pop(0)
            for target in sorted(graph[current]):
                if target == start:
                    circle = paths_to[current]
                    if frozenset(circle) not in seen:
                        seen.add(frozenset(circle))
                        circles.append([*circle, start])
                    queue = []
                    break
                if target not in paths_to:
                    paths_to[target] = [*paths_to[current], target]
                    queue.append(target)
    return circles


def test_the_commands_hold_no_sql() -> None:
    """cli/ calls the engine (`tmapi_search.bulk`): no `sqlite3`, no query of its own."""
    assert sql_in_cli() == []


def test_the_commands_stay_thin() -> None:
    """Each module of cli/ parses, calls the engine and renders: about 300 lines at most."""
    long = {
        path.name: lines
        for path in sorted((PACKAGE / "cli").glob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 330
    }
    assert long == {}


def test_no_import_circles() -> None:
    """Arrows point one way inside each part too (the app imports the commands, ...)."""
    assert import_circles() == []


def test_the_sql_and_circle_checks_can_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "tmapi_search"
    (fake / "cli").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "cli" / "__init__.py").write_text("")
    (fake / "cli" / "app.py").write_text("from tmapi_search.cli import bulk\napp = 1\n")
    (fake / "cli" / "bulk.py").write_text(
        "import sqlite3\nfrom tmapi_search.cli.app import app\n"
        "def f():\n    return 'SELECT count(*) FROM images'\n"
    )
    (fake / "cli" / "ok.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tmapi_search.cli import t\n"
    )
    (fake / "cli" / "t.py").write_text("from tmapi_search.cli import ok\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    found = sql_in_cli()
    assert any("bulk.py:1: imports sqlite3" in v for v in found)
    assert any("bulk.py:4: SQL" in v for v in found)
    assert import_circles() == [
        ["tmapi_search.cli.app", "tmapi_search.cli.bulk", "tmapi_search.cli.app"]
    ]
