"""`tmapi-search`: search 1688 by image from a terminal, for one photo or a whole catalogue.

Commands: `search`, `convert`, `bulk`, `export`, `status`, `report`, `suppliers`, `drift`
(see `tmapi-search --help`). The app imports the command modules and registers their
commands (each module lists them in `COMMANDS`, with the exit codes each can return); the
command modules import the shared `options` and `console`, never the app.

Exit codes (also in `--help` and docs/cli.md):

====  ====================================================================
0     ok
1     drift found (`drift` only): answers strayed from openapi.yaml
2     usage or bad input (an option, the input file, a row-less input ...)
3     billing or auth: 439 (subscription expired / balance), 401 token missing/refused
4     any other API error (422, malformed answer, an image failed ...)
5     network or timeout after the retries (bulk: the API stopped answering)
6     storage: a file cannot be written or read (disk full, read-only, I/O error,
      database locked); bulk stops its paid calls at the first failed write
7     unexpected error; bulk: the run stopped, paid results saved, rows left pending
8     bulk --max-calls N reached: stopped cleanly, the same command goes on
130   interrupted (Ctrl-C, SIGTERM); a bulk run keeps what it finished
====  ====================================================================

Errors are one line on stderr, without a traceback unless `-v`. The API token never
appears in any output, log line or file: messages are passed through `redact()`.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from stamina.instrumentation import set_on_retry_hooks

from tmapi_search.auth import Secret, redact
from tmapi_search.cli import bulk, drift, export, report, search, status, suppliers
from tmapi_search.cli.console import stderr
from tmapi_search.cli.exit_codes import EPILOG, EXIT_CODES, EXIT_INTERRUPTED
from tmapi_search.cli.options import AuthOption, Config

__all__ = ["EXIT_CODES", "app", "main"]

app = typer.Typer(
    name="tmapi-search",
    help="Search 1688 products by image with TMAPI: one photo, or a whole catalogue.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    # rich tracebacks would print local variables, the token among them
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

for _module in (bulk, drift, export, report, search, status, suppliers):
    for _command, _epilog in _module.COMMANDS:
        app.command(epilog=_epilog)(_command)


class _TokenFilter(logging.Filter):
    """Masks the token itself (not only `apiToken=...`) in every record of a handler."""

    def __init__(self, token: Secret | None) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self._token)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _setup_logging(config: Config) -> None:
    if not config.verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_TokenFilter(config.api_token))
    level = logging.INFO if config.verbose == 1 else logging.DEBUG
    for name in ("tmapi_search", "httpx"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("tmapi-search")
        except PackageNotFoundError:  # run from a source tree that is not installed
            number = "unknown (not installed)"
        typer.echo(f"tmapi-search {number}")
        raise typer.Exit()


# -- global options -----------------------------------------------------------------
@app.callback()
def _global(
    ctx: typer.Context,
    api_token: Annotated[
        str | None,
        typer.Option(
            "--api-token",
            envvar="TMAPI_TOKEN",
            show_envvar=True,
            show_default=False,
            help="TMAPI API token (billed per call). Prefer the environment variable.",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="TMAPI_BASE_URL",
            show_envvar=True,
            help="API base URL (default https://api.tmapi.io).",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Seconds to wait for an answer (default 60)."),
    ] = None,
    max_retries: Annotated[
        int,
        typer.Option("--max-retries", min=0, help="Retries per call for transient errors."),
    ] = 2,
    auth: Annotated[
        AuthOption | None,
        typer.Option(
            "--auth",
            envvar="TMAPI_AUTH",
            show_envvar=True,
            case_sensitive=False,
            show_default=False,
            help=(
                "How the token is sent: query (?apiToken=, the documented way; default) or "
                "header (an apikey header: the token is in no URL)."
            ),
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "-v",
            "--verbose",
            count=True,
            show_default=False,
            help="Log calls and retries (-vv: debug); tracebacks on errors.",
        ),
    ] = 0,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Search 1688 products by image with TMAPI: one photo, or a whole catalogue."""
    config = Config(
        Secret.of(api_token), base_url, timeout, max_retries, verbose, auth.value if auth else None
    )
    ctx.obj = config
    # stamina's own instrumentation logs every retry at WARNING through the root logger;
    # the client logs retries itself (`tmapi_search`, shown with -v) and bulk counts them
    set_on_retry_hooks([])
    _setup_logging(config)


def main() -> None:
    """Console-script entry point."""
    from tmapi_search.cli.output import never_fail_on_characters

    never_fail_on_characters(sys.stdout)  # stderr already replaces (backslashreplace)
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("interrupted", style="yellow")
        sys.exit(EXIT_INTERRUPTED)
