"""`tmapi-search`: search 1688 by image from a terminal, for one photo or a whole catalogue.

Commands: `search`, `convert`, `bulk`, `export` (see `tmapi-search --help`).

Exit codes (also in `--help` and the README):

====  ====================================================================
0     ok
2     usage or bad input (an option, the input file, a row-less input ...)
3     billing or auth: 439 (subscription expired / balance), token refused
4     any other API error (422, malformed answer, an image failed ...)
5     network or timeout after the retries
130   interrupted (Ctrl-C, SIGTERM); a bulk run keeps what it finished
====  ====================================================================

Errors are one line on stderr, without a traceback unless `-v`. The API token never
appears in any output, log line or file: messages are passed through `redact()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from stamina.instrumentation import set_on_retry_hooks
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.auth import redact

__all__ = ["EXIT_CODES", "app", "main"]

EXIT_OK, EXIT_USAGE, EXIT_BILLING, EXIT_API, EXIT_NETWORK, EXIT_INTERRUPTED = 0, 2, 3, 4, 5, 130
EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_USAGE: "usage or bad input",
    EXIT_BILLING: "billing or auth (439: subscription expired or no balance; token refused)",
    EXIT_API: "other API error",
    EXIT_NETWORK: "network or timeout after retries",
    EXIT_INTERRUPTED: "interrupted",
}
_EPILOG = "Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items()) + "."


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


app = typer.Typer(
    name="tmapi-search",
    help="Search 1688 products by image with TMAPI: one photo, or a whole catalogue.",
    epilog=_EPILOG,
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

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "api_token": self.api_token,
            "base_url": self.base_url,
            "max_retries": self.max_retries,
        }
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return kwargs


_stderr = Console(stderr=True, highlight=False, soft_wrap=True)
_stdout = Console(highlight=False, soft_wrap=True)


def _redact(text: str, config: Config | None) -> str:
    return redact(text, config.api_token if config else None)


def _die(config: Config | None, code: int, message: str) -> NoReturn:
    _stderr.print(f"error: {escape(_redact(message, config))}", style="red")
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
def _api_errors(config: Config) -> Iterator[None]:
    """Turn every failure into one line on stderr and a documented exit code."""
    from tmapi_search.errors import (
        APIConnectionError,
        APIStatusError,
        SubscriptionError,
        TmapiError,
    )

    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _stderr.print("interrupted", style="yellow")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as error:
        if config.verbose:
            _stderr.print(escape(_redact(traceback.format_exc(), config)), style="dim")
        if isinstance(error, SubscriptionError):
            _die(
                config,
                EXIT_BILLING,
                f"{_describe(error)} -- top up or renew your TMAPI plan, then try again",
            )
        if isinstance(error, APIStatusError) and error.status_code in (401, 403):
            _die(config, EXIT_BILLING, f"{_describe(error)} -- check --api-token / TMAPI_TOKEN")
        if isinstance(error, APIConnectionError):
            _die(config, EXIT_NETWORK, _describe(error))
        if isinstance(error, TmapiError):
            _die(config, EXIT_API, _describe(error))
        if isinstance(error, ValueError):  # local validation: names the parameter
            _die(config, EXIT_USAGE, str(error))
        raise


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
    config = Config(api_token, base_url, timeout, max_retries, verbose)
    ctx.obj = config
    # stamina's own instrumentation logs every retry at WARNING through the root logger;
    # the client logs retries itself (`tmapi_search`, shown with -v) and bulk counts them
    set_on_retry_hooks([])
    _setup_logging(config)


def _config(ctx: typer.Context) -> Config:
    config = ctx.obj
    assert isinstance(config, Config)
    return config


# -- shared search options ---------------------------------------------------------
PageSize = Annotated[
    int, typer.Option("--page-size", min=1, max=20, help="Items per page (max 20).")
]
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


def _search_options(
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


# -- search -------------------------------------------------------------------------
@app.command(epilog=_EPILOG)
def search(
    ctx: typer.Context,
    img_url: Annotated[str, typer.Argument(help="Image URL (or a converted /search/... path).")],
    page: Annotated[int, typer.Option("--page", min=1, help="Page number (from 1).")] = 1,
    page_size: PageSize = 20,
    language: LanguageOpt = Language.EN,
    sort: SortOpt = Sort.DEFAULT,
    support_dropshipping: Dropship = False,
    is_factory: Factory = False,
    verified_supplier: Verified = False,
    free_shipping: FreeShip = False,
    new_arrival: NewArrival = False,
    max_items: Annotated[
        int | None,
        typer.Option("--max-items", min=1, help="Page through results until N items."),
    ] = None,
    no_convert: NoConvert = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
    ] = OutputFormat.table,
) -> None:
    """Search 1688 for products that look like one image."""
    from tmapi_search.client import TmapiClient
    from tmapi_search.output import write_items

    config = _config(ctx)
    options = _search_options(
        page_size,
        language,
        sort,
        support_dropshipping,
        is_factory,
        verified_supplier,
        free_shipping,
        new_arrival,
    )
    convert: Any = False if no_convert else "auto"
    with _api_errors(config), TmapiClient(**config.client_kwargs()) as client:
        title: str | None
        if max_items is None:
            data = client.search_by_image(img_url, page=page, convert=convert, **options)
            items = list(data.items)
            title = f"page {data.page}: {len(items)} items of {data.total_count}"
        else:
            items = list(
                client.iter_search_by_image(
                    img_url, max_items=max_items, page=page, convert=convert, **options
                )
            )
            title = f"{len(items)} items"
        write_items(items, fmt.value, console=_stdout, out=sys.stdout, title=title)


# -- convert ------------------------------------------------------------------------
@app.command(epilog=_EPILOG)
def convert(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Image URL hosted outside Alibaba's platforms.")],
    search_api_endpoint: Annotated[
        str,
        typer.Option("--search-api-endpoint", help="The search the converted path is for."),
    ] = "/global/search/image",
) -> None:
    """Convert an image URL for the image search; prints the converted path."""
    from tmapi_search.client import TmapiClient

    config = _config(ctx)
    with _api_errors(config), TmapiClient(**config.client_kwargs()) as client:
        path = client.convert_image_url(url, search_api_endpoint=search_api_endpoint)
    _stdout.print(path, markup=False)


# -- bulk -----------------------------------------------------------------------------
def _concurrency(value: str) -> int | None:
    if value.strip().lower() == "auto":
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise typer.BadParameter(f"must be 'auto' or a whole number >= 1, got {value!r}")
    return number


def _check_concurrency(value: str) -> str:
    _concurrency(value)  # raised here, click names the option in its message
    return value


@app.command(epilog=_EPILOG)
def bulk(
    ctx: typer.Context,
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="CSV with an img_url column (sku/id and other columns carried along), "
            "or a text file with one image URL per line.",
        ),
    ],
    db: Annotated[
        Path, typer.Option("--db", help="SQLite file for the results (created or resumed).")
    ],
    max_items_per_image: Annotated[
        int, typer.Option("--max-items-per-image", min=1, help="Items to keep per image.")
    ] = 20,
    page_size: PageSize = 20,
    language: LanguageOpt = Language.EN,
    sort: SortOpt = Sort.DEFAULT,
    support_dropshipping: Dropship = False,
    is_factory: Factory = False,
    verified_supplier: Verified = False,
    free_shipping: FreeShip = False,
    new_arrival: NewArrival = False,
    no_convert: NoConvert = False,
    concurrency: Annotated[
        str,
        typer.Option(
            "--concurrency",
            callback=_check_concurrency,
            help="Calls in flight: a number, or 'auto' (find the account's cap: additive "
            "increase while calls succeed, multiplicative decrease on 503).",
        ),
    ] = "auto",
    max_concurrency: Annotated[
        int, typer.Option("--max-concurrency", min=1, help="Upper bound for --concurrency auto.")
    ] = 32,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Also retry images that failed for good (e.g. 422)."),
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the live progress bar.")
    ] = True,
) -> None:
    """Search every image of a catalogue into SQLite; resumable (run it again to resume)."""
    from tmapi_search.bulk import BulkSettings
    from tmapi_search.inputs import InputError, read_input

    config = _config(ctx)
    fixed = _concurrency(concurrency)
    if fixed is not None and fixed > max_concurrency:
        max_concurrency = fixed
    options = _search_options(
        page_size,
        language,
        sort,
        support_dropshipping,
        is_factory,
        verified_supplier,
        free_shipping,
        new_arrival,
    )
    try:
        rows = read_input(input_path)
    except InputError as error:
        _die(config, EXIT_USAGE, str(error))
    if rows.bad:
        _stderr.print(f"skipped {len(rows.bad)} bad row(s) of {input_path}:", style="yellow")
        for bad in rows.bad[:20]:
            _stderr.print(f"  {escape(str(bad))}", style="yellow")
        if len(rows.bad) > 20:
            _stderr.print(f"  ... and {len(rows.bad) - 20} more", style="yellow")
    if not rows.images:
        _die(config, EXIT_USAGE, f"INPUT: {input_path} has no image URL to search")
    settings = BulkSettings(
        search=options,
        max_items_per_image=max_items_per_image,
        concurrency=fixed,
        max_concurrency=max_concurrency,
        max_retries=config.max_retries,
        convert=False if no_convert else "auto",
        retry_failed=retry_failed,
    )
    code = _run_bulk(config, input_path, db, rows.images, settings, progress)
    raise typer.Exit(code)


def _run_bulk(
    config: Config,
    input_path: Path,
    db: Path,
    images: list[Any],
    settings: Any,
    show_progress: bool,
) -> int:
    from tmapi_search.bulk import BulkRunner, BulkStats
    from tmapi_search.client import AsyncTmapiClient
    from tmapi_search.store import ParamsMismatchError, Store

    search_params = {**settings.search, "max_items_per_image": settings.max_items_per_image}
    try:
        store = Store(db)
    except Exception as error:  # sqlite3.Error, OSError: not a database we can use
        _die(config, EXIT_USAGE, f"--db: cannot open {db}: {error}")
    with store:
        try:
            store.check_params(search_params)
        except ParamsMismatchError as error:
            _die(config, EXIT_USAGE, str(error))
        store.add_images(image.db_row() for image in images)
        todo = store.images_to_do(
            [image.key for image in images], retry_failed=settings.retry_failed
        )
        already = len(images) - len(todo)
        if already:
            _stderr.print(f"resuming {db}: {already} image(s) already finished, skipped")
        if not todo:
            _print_summary(store, db, None)
            return _exit_for(store, [], "completed")
        with _api_errors(config):
            client = AsyncTmapiClient(
                **config.client_kwargs(), max_concurrency=settings.max_concurrency
            )
        run_id = store.start_run(
            str(input_path),
            {
                "concurrency": settings.concurrency or "auto",
                "max_concurrency": settings.max_concurrency,
                "max_retries": settings.max_retries,
            },
        )
        display = _ProgressDisplay(len(todo), enabled=show_progress and _stderr.is_terminal)
        runner = BulkRunner(client, store, settings, on_change=display.update)

        async def main() -> BulkStats:
            loop = asyncio.get_running_loop()
            signals_seen = 0

            def on_signal(signum: int) -> None:
                nonlocal signals_seen
                signals_seen += 1
                name = signal.Signals(signum).name
                if signals_seen == 1:
                    _stderr.print(
                        f"{name}: stopping; calls in flight may finish "
                        f"(up to {settings.grace:.0f} s; again to stop at once)",
                        style="yellow",
                    )
                    runner.stop("interrupted", f"stopped by {name}")
                else:
                    runner.abandon()

            handled = []
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                    loop.add_signal_handler(signum, on_signal, signum)
                    handled.append(signum)
            try:
                async with client:
                    return await runner.run(todo, run_id)
            finally:
                for signum in handled:
                    loop.remove_signal_handler(signum)

        with display:
            stats = asyncio.run(main())
        store.finish_run(run_id, runner.outcome)
        this_run = {record.id for record in todo}
        failed_now = [image for image in store.images("failed") if image.id in this_run]
        _print_summary(store, db, stats)
        if runner.stop_reason:
            style = "red" if runner.outcome in ("billing", "auth") else "yellow"
            _stderr.print(escape(_redact(runner.stop_reason, config)), style=style)
        return _exit_for(store, failed_now, runner.outcome)


def _exit_for(store: Any, failed_now: list[Any], outcome: str) -> int:
    if outcome in ("billing", "auth"):
        return EXIT_BILLING
    if outcome == "interrupted":
        return EXIT_INTERRUPTED
    if not failed_now:
        return EXIT_OK
    network = {"APIConnectionError", "APITimeoutError"}
    if all(image.error_class in network for image in failed_now):
        return EXIT_NETWORK
    return EXIT_API


def _print_summary(store: Any, db: Path, stats: Any) -> None:
    counts = store.counts()
    line = (
        f"{db}: {counts.done} done, {counts.failed} failed, {counts.pending} pending "
        f"of {counts.total} images; {counts.items} items stored"
    )
    if stats is not None:
        line += (
            f" (this run: {stats.done} done, {stats.failed} failed in {stats.elapsed:.1f} s, "
            f"{stats.rate:.1f} images/s, {stats.calls} calls, {stats.refused_503} refused by 503)"
        )
    _stdout.print(line, markup=False)
    if counts.failed_by_class:
        detail = ", ".join(f"{name} x{n}" for name, n in counts.failed_by_class.items())
        _stdout.print(f"failed: {detail}", markup=False)


class _ProgressDisplay:
    """A rich progress bar: done / failed / retrying / in flight, rate and ETA."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]bulk"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn(
                "[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/] "
                "[yellow]{task.fields[retrying]} retrying[/] "
                "{task.fields[in_flight]}/{task.fields[limit]} in flight"
            ),
            TextColumn("{task.fields[rate]:.1f} img/s"),
            TextColumn("ETA {task.fields[eta]}"),
            TimeElapsedColumn(),
            console=_stderr,
            transient=False,
        )
        self._task: TaskID | None = None
        self._total = total

    def __enter__(self) -> _ProgressDisplay:
        if self.enabled:
            self._progress.start()
            self._task = self._progress.add_task(
                "bulk",
                total=self._total,
                done=0,
                failed=0,
                retrying=0,
                in_flight=0,
                limit=0,
                rate=0.0,
                eta="-",
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._progress.stop()

    def update(self, stats: Any) -> None:
        if self._task is None:
            return
        finished = stats.done + stats.failed
        rate = stats.rate
        left = max(stats.total - finished, 0)
        eta = f"{left / rate:.0f}s" if rate > 0 else "-"
        self._progress.update(
            self._task,
            completed=finished,
            done=stats.done,
            failed=stats.failed,
            retrying=stats.retrying,
            in_flight=stats.in_flight,
            limit=stats.limit,
            rate=rate,
            eta=eta,
        )


# -- export -----------------------------------------------------------------------
@app.command(epilog=_EPILOG)
def export(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk`.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
    ] = ExportFormat.csv,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: standard output).")
    ] = None,
) -> None:
    """Write every stored item, one row each, with its source image and input columns."""
    from tmapi_search.export import export as export_items
    from tmapi_search.store import Store

    config = _config(ctx)
    if not db.is_file():
        _die(config, EXIT_USAGE, f"--db: {db} does not exist")
    try:
        store = Store(db, create=False)
    except ValueError as error:
        _die(config, EXIT_USAGE, str(error))
    except sqlite3.Error as error:
        _die(config, EXIT_USAGE, f"--db: cannot read {db}: {error}")
    with store:
        if out is None:
            count = export_items(store, fmt.value, sys.stdout)
        else:
            with out.open("w", encoding="utf-8", newline="") as handle:
                count = export_items(store, fmt.value, handle)
            _stderr.print(f"wrote {count} item(s) to {out}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        _stderr.print("interrupted", style="yellow")
        sys.exit(EXIT_INTERRUPTED)
