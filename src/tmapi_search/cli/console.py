"""Where the commands write, and how a failure becomes one line and an exit code.

Errors are one line on stderr, without a traceback unless `-v`. The API token never
appears in any output: messages are passed through `redact()`.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Iterator
from typing import NoReturn

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement

from tmapi_search.auth import redact
from tmapi_search.cli.exit_codes import (
    EXIT_API,
    EXIT_BILLING,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_STORAGE,
    EXIT_USAGE,
)
from tmapi_search.cli.options import Config

__all__ = [
    "api_errors",
    "die",
    "engine_errors",
    "print_whole",
    "redact_for",
    "stderr",
    "stdout",
    "when",
]

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)


def print_whole(console: Console, table: RenderableType, *, whole: bool | None = None) -> None:
    """Print `table` fitted to a terminal's width, or, into a pipe or a file (`whole`
    by default when the console is not a terminal), at its natural width: every cell
    whole on one line, since a pipe is not an 80-column screen."""
    if whole is None:
        whole = not console.is_terminal
    if not whole:
        console.print(table)
        return
    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    # Console.print caps `width` at the console's own: widen the console for this table
    width = console.width
    console.width = max(needed, width)
    try:
        console.print(table, soft_wrap=False, crop=False)
    finally:
        console.width = width


def when(timestamp: float | None) -> str:
    """A stored time as the tables show it (local time; "-" when there is none)."""
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def redact_for(text: str, config: Config | None) -> str:
    return redact(text, config.api_token if config else None)


def die(config: Config | None, code: int, message: str) -> NoReturn:
    stderr.print(f"error: {escape(redact_for(message, config))}", style="red")
    raise typer.Exit(code)


def _traceback(config: Config) -> None:
    if config.verbose:
        stderr.print(escape(redact_for(traceback.format_exc(), config)), style="dim")


@contextlib.contextmanager
def engine_errors(config: Config) -> Iterator[None]:
    """The engine's refusals: a usage error (exit 2) or a file that failed (exit 6)."""
    from tmapi_search.bulk.errors import StorageError, UsageError

    try:
        yield
    except UsageError as error:
        die(config, EXIT_USAGE, str(error))
    except StorageError as error:
        _traceback(config)
        die(config, EXIT_STORAGE, str(error))


@contextlib.contextmanager
def api_errors(config: Config) -> Iterator[None]:
    """Turn every failure into one line on stderr and a documented exit code."""
    from tmapi_search.errors import (
        APIConnectionError,
        APIStatusError,
        AuthenticationError,
        SubscriptionError,
        TmapiError,
    )

    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        stderr.print("interrupted", style="yellow")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as error:
        _traceback(config)
        if isinstance(error, SubscriptionError):
            die(
                config,
                EXIT_BILLING,
                f"{_describe(error)} -- top up or renew your TMAPI plan, then try again",
            )
        if isinstance(error, AuthenticationError) or (
            isinstance(error, APIStatusError) and error.status_code == 403
        ):
            die(
                config,
                EXIT_BILLING,
                f"{_describe(error)} -- check --api-token / TMAPI_TOKEN, and how it is sent "
                f"(--auth query|header; now {_auth_label(config)})",
            )
        if isinstance(error, APIConnectionError):
            die(config, EXIT_NETWORK, _describe(error))
        if isinstance(error, TmapiError):
            die(config, EXIT_API, _describe(error))
        if isinstance(error, ValueError):  # local validation: names the parameter
            die(config, EXIT_USAGE, cli_message(str(error)))
        hint = "" if config.verbose else " (run with -v for the traceback)"
        die(config, EXIT_ERROR, f"unexpected error: {type(error).__name__}: {error}{hint}")


def cli_message(message: str) -> str:
    """An SDK message in the CLI's words: `api_token` is `--api-token` / `TMAPI_TOKEN`."""
    if message.startswith("api_token: no API token given"):
        return "no API token: give --api-token TOKEN or set TMAPI_TOKEN"
    if message.startswith("api_token:"):
        return "--api-token / TMAPI_TOKEN:" + message.removeprefix("api_token:")
    return message


def _auth_label(config: Config) -> str:
    from tmapi_search.auth import resolve_auth_mode

    try:
        return resolve_auth_mode(config.auth)
    except ValueError:
        return "?"


def _describe(error: BaseException) -> str:
    from tmapi_search.errors import APIStatusError

    name = type(error).__name__
    if isinstance(error, APIStatusError):
        return f"{name} (HTTP {error.status_code}, code {error.code}): {error.msg or error}"
    return f"{name}: {error}"
