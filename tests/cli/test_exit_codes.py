"""Each command's `--help` lists exactly the exit codes it can return, and every choice.

What a command can return is read from its code: the `EXIT_*` names used by the command
function and by the helpers of its module it calls (transitively), plus `API_CALL` when
it runs an API call under `api_errors()`, plus `ENGINE` when it calls the engine under
`engine_errors()`, plus `ALWAYS` (done, usage error, Ctrl-C).
A new command (or a new code in an existing one) is checked without touching this file.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tmapi_search.cli import exit_codes
from tmapi_search.cli.app import app

COMMANDS = [
    (info.name or info.callback.__name__.replace("_", "-"), info)
    for info in app.registered_commands
    if info.callback is not None
]


def _functions(module_name: str) -> dict[str, tuple[str, ast.AST]]:
    """The functions `module_name` defines, and those it imports from other cli modules
    (`from tmapi_search.cli.x import f`), each with the module that defines it."""
    tree = ast.parse(inspect.getsource(sys.modules[module_name]))
    found: dict[str, tuple[str, ast.AST]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = (module_name, node)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module is not None
            and node.module.startswith("tmapi_search.cli.")
            and node.module != "tmapi_search.cli.console"  # api_errors/engine_errors: below
        ):
            imported = _functions(node.module)
            for alias in node.names:
                if alias.name in imported:
                    found[alias.asname or alias.name] = imported[alias.name]
    return found


def returnable_codes(function: Callable[..., Any]) -> set[int]:
    """The exit codes `function` can end with, read from the source of its module (and of
    the cli modules whose functions it calls)."""
    codes = set(exit_codes.ALWAYS)
    seen: set[tuple[str, str]] = set()
    todo = [(function.__module__, function.__name__)]
    while todo:
        module_name, name = todo.pop()
        functions = _functions(module_name)
        if name not in functions:
            continue
        where, node_of = functions[name]
        if (where, name) in seen:
            continue
        seen.add((where, name))
        local = _functions(where)
        for node in ast.walk(node_of):
            if isinstance(node, ast.Attribute) and node.attr.startswith("EXIT_"):
                codes.add(getattr(exit_codes, node.attr))
            elif isinstance(node, ast.Name):
                if node.id.startswith("EXIT_"):
                    codes.add(getattr(exit_codes, node.id))
                elif node.id == "api_errors":
                    codes.update(exit_codes.API_CALL)
                elif node.id == "engine_errors":
                    codes.update(exit_codes.ENGINE)
                elif node.id in local:
                    todo.append((where, node.id))
    return codes


def listed_codes(epilog: str) -> set[int]:
    match = re.fullmatch(r"Exit codes: (.*)\.", epilog)
    assert match, epilog
    return {int(code) for code in re.findall(r"(?:^|; )(\d+) ", match[1])}


def test_every_command_is_checked() -> None:
    assert {"search", "convert", "bulk", "export"} <= {name for name, _ in COMMANDS}


@pytest.mark.parametrize(("name", "info"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_help_lists_the_exit_codes_the_command_can_return(name: str, info: Any) -> None:
    assert info.epilog, f"{name}: register it with epilog=epilog(...) (cli/exit_codes.py)"
    assert listed_codes(info.epilog) == returnable_codes(info.callback)
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    shown = " ".join(result.output.split())
    assert info.epilog in shown


def test_which_codes_each_command_returns() -> None:
    by_name = {name: listed_codes(info.epilog) for name, info in COMMANDS}
    # 7: an unexpected error (one line, no traceback without -v)
    assert by_name["search"] == by_name["convert"] == {0, 2, 3, 4, 5, 7, 130}
    # 6: the results database failed; 8: --max-calls reached
    assert by_name["bulk"] == {0, 2, 3, 4, 5, 6, 7, 8, 130}
    assert by_name["export"] == by_name["status"] == {0, 2, 6, 130}  # never call the API
    assert by_name["suppliers"] == by_name["report"] | {6} == {0, 2, 6, 130}


def _quiet() -> None:
    _helper()


def _helper() -> None:
    pass


def _talks(config: Any) -> None:
    _helper_that_dies(config)


def _helper_that_dies(config: Any) -> None:
    raise typer.Exit(exit_codes.EXIT_NETWORK if config else EXIT_API)  # type: ignore[name-defined]  # noqa: F821


def test_the_check_can_fail() -> None:
    assert returnable_codes(_quiet) == set(exit_codes.ALWAYS)
    assert returnable_codes(_talks) == {*exit_codes.ALWAYS, exit_codes.EXIT_API, 5}
    assert listed_codes(exit_codes.epilog()) == set(exit_codes.ALWAYS)
    with pytest.raises(ValueError, match="missing from EXIT_CODES"):
        exit_codes.epilog(77)


def test_every_option_with_fixed_values_lists_them() -> None:
    group: Any = typer.main.get_command(app)  # a click Group (typer >= 0.22 vendors click)
    contexts = [(None, group)] + [(name, group.commands[name]) for name in group.commands]
    checked = 0
    for name, command in contexts:
        args = [name, "--help"] if name else ["--help"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert (
            "\\[" not in result.output
        )  # typer < 0.21.1 printed a backslash before `[default: csv]`
        for param in command.params:
            choices = getattr(param.type, "choices", None)
            if choices is not None:
                checked += 1
                # `<a|b>` (typer >= 0.22) or `[a|b]`
                shown = re.search(rf"{re.escape(param.opts[0])} [<\[]([^>\]]*)[>\]]", result.output)
                assert shown, f"{name} {param.opts[0]}: its values are not shown"
                assert sorted(shown[1].split("|")) == sorted(map(str, choices))
    assert checked >= 5  # search --language/--sort/--format, bulk --language/--sort, export ...
