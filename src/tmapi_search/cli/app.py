"""`tmapi-search`: search 1688 by image from a terminal, for one photo or a whole catalogue.

Commands: `search`, `convert`, `bulk`, `export`, `status`, `report` (see `tmapi-search
--help`).

Exit codes (also in `--help` and docs/cli.md):

====  ====================================================================
0     ok
2     usage or bad input (an option, the input file, a row-less input ...)
3     billing or auth: 439 (subscription expired / balance), 401 token missing/refused
4     any other API error (422, malformed answer, an image failed ...)
5     network or timeout after the retries (bulk: the API stopped answering)
6     storage: a file cannot be written or read (disk full, read-only, I/O error,
      database locked); bulk stops its paid calls at the first failed write
130   interrupted (Ctrl-C, SIGTERM); a bulk run keeps what it finished
====  ====================================================================

Errors are one line on stderr, without a traceback unless `-v`. The API token never
appears in any output, log line or file: messages are passed through `redact()`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from stamina.instrumentation import set_on_retry_hooks
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.auth import redact
from tmapi_search.cli.exit_codes import (
    EPILOG,
    EXIT_API,
    EXIT_BILLING,
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_USAGE,
)

__all__ = ["EXIT_CODES", "app", "main"]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


class AuthOption(StrEnum):
    query = "query"
    header = "header"


class ApiVersion(StrEnum):
    v1 = "v1"
    v2 = "v2"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


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


@dataclass(slots=True)
class Config:
    api_token: str | None
    base_url: str | None
    timeout: float | None
    max_retries: int
    verbose: int
    auth: str | None = None

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "api_token": self.api_token,
            "base_url": self.base_url,
            "max_retries": self.max_retries,
            "auth": self.auth,
        }
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return kwargs


stderr = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)


def redact_for(text: str, config: Config | None) -> str:
    return redact(text, config.api_token if config else None)


def die(config: Config | None, code: int, message: str) -> NoReturn:
    stderr.print(f"error: {escape(redact_for(message, config))}", style="red")
    raise typer.Exit(code)


class _TokenFilter(logging.Filter):
    """Masks the token itself (not only `apiToken=...`) in every record of a handler."""

    def __init__(self, token: str | None) -> None:
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
        if config.verbose:
            stderr.print(escape(redact_for(traceback.format_exc(), config)), style="dim")
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
            die(config, EXIT_USAGE, str(error))
        raise


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
) -> None:
    """Search 1688 products by image with TMAPI: one photo, or a whole catalogue."""
    config = Config(
        api_token, base_url, timeout, max_retries, verbose, auth.value if auth else None
    )
    ctx.obj = config
    # stamina's own instrumentation logs every retry at WARNING through the root logger;
    # the client logs retries itself (`tmapi_search`, shown with -v) and bulk counts them
    set_on_retry_hooks([])
    _setup_logging(config)


def get_config(ctx: typer.Context) -> Config:
    config = ctx.obj
    assert isinstance(config, Config)
    return config


# -- shared search options ---------------------------------------------------------
PageSize = Annotated[
    int,
    typer.Option(
        "--page-size", min=1, help="Items per page (max 20 with --api v1; v2 documents none)."
    ),
]
ApiOpt = Annotated[
    ApiVersion,
    typer.Option(
        "--api",
        case_sensitive=False,
        help=(
            "Which image search: v1 (/global/search/image) or v2 (/global/search/image/v2: "
            "6 languages, price range, more fields; always converts the image first)."
        ),
    ),
]
PriceStart = Annotated[
    str | None, typer.Option("--price-start", help="v2 only: lowest price (CNY).")
]
PriceEnd = Annotated[str | None, typer.Option("--price-end", help="v2 only: highest price (CNY).")]


def check_api_options(
    config: Config,
    api: ApiVersion,
    page_size: int,
    price_start: str | None,
    price_end: str | None,
    no_convert: bool,
    language: str,
) -> None:
    """Options that only one of the two searches takes: exit 2 naming the option."""
    from tmapi_search import validation

    if api is ApiVersion.v1:
        if page_size > validation.MAX_PAGE_SIZE:
            die(config, EXIT_USAGE, "--page-size: must be between 1 and 20 with --api v1")
        for name, value in (("--price-start", price_start), ("--price-end", price_end)):
            if value is not None:
                die(config, EXIT_USAGE, f"{name}: only the v2 search filters by price (--api v2)")
        return
    if no_convert:
        die(config, EXIT_USAGE, "--no-convert: the v2 search takes converted paths only")
    if language not in validation.LANGUAGES_V2:
        die(
            config,
            EXIT_USAGE,
            f"--language: must be one of {', '.join(validation.LANGUAGES_V2)} with --api v2, "
            f"got {language!r}",
        )
    try:
        validation.check_price_range(price_start, price_end)
    except ValueError as error:
        die(config, EXIT_USAGE, "--" + str(error).replace("_", "-", 1))


LanguageOpt = Annotated[
    Language, typer.Option("--language", help="Language of titles.", case_sensitive=False)
]
SortOpt = Annotated[Sort, typer.Option("--sort", help="Sort order.", case_sensitive=False)]
Dropship = Annotated[
    bool, typer.Option("--support-dropshipping", help="Only products that support dropshipping.")
]
Factory = Annotated[bool, typer.Option("--is-factory", help="Only products sold by factories.")]
Verified = Annotated[
    bool, typer.Option("--verified-supplier", help="Only products of verified suppliers.")
]
FreeShip = Annotated[
    bool, typer.Option("--free-shipping", help="Only products with free shipping.")
]
NewArrival = Annotated[bool, typer.Option("--new-arrival", help="Only new products.")]
NoConvert = Annotated[
    bool,
    typer.Option(
        "--no-convert", help="Send non-Alibaba image URLs as they are (no conversion call)."
    ),
]


def search_options(
    page_size: int,
    language: Language,
    sort: Sort,
    support_dropshipping: bool,
    is_factory: bool,
    verified_supplier: bool,
    free_shipping: bool,
    new_arrival: bool,
) -> dict[str, Any]:
    """The API's search parameters; a filter flag not given is not sent at all."""
    return {
        "page_size": page_size,
        "language": language.value,
        "sort": sort.value,
        "support_dropshipping": support_dropshipping or None,
        "is_factory": is_factory or None,
        "verified_supplier": verified_supplier or None,
        "free_shipping": free_shipping or None,
        "new_arrival": new_arrival or None,
    }


def main() -> None:
    """Console-script entry point."""
    from tmapi_search.cli.output import never_fail_on_characters

    never_fail_on_characters(sys.stdout)  # stderr already replaces (backslashreplace)
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("interrupted", style="yellow")
        sys.exit(EXIT_INTERRUPTED)


# The commands register themselves on `app` (one module per command group).
from tmapi_search.cli import bulk, export, report, search, status  # noqa: E402, F401
from tmapi_search.cli.exit_codes import EXIT_STORAGE as _STORAGE  # noqa: E402
from tmapi_search.cli.exit_codes import epilog as _epilog  # noqa: E402
from tmapi_search.cli.suppliers import suppliers as _suppliers  # noqa: E402

app.command(epilog=_epilog(_STORAGE))(_suppliers)
