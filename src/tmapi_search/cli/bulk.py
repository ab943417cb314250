"""`tmapi-search bulk`: a whole catalogue into SQLite, resumable, with a progress bar.

Parses the options, calls `tmapi_search.bulk.run_catalogue` (the engine does the run:
the lock, the reading, the searches, the saves), draws its events and maps its summary
and its exceptions to an exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.cli.console import api_errors, die, engine_errors, redact_for, stderr, stdout
from tmapi_search.cli.exit_codes import (
    API_CALL,
    ENGINE,
    EXIT_API,
    EXIT_BILLING,
    EXIT_BUDGET,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
    epilog,
)
from tmapi_search.cli.options import (
    ApiOpt,
    ApiVersion,
    Config,
    Dropship,
    Factory,
    FreeShip,
    LanguageOpt,
    NewArrival,
    NoConvert,
    PageSize,
    PriceEnd,
    PriceStart,
    SortOpt,
    Verified,
    get_config,
)

if TYPE_CHECKING:
    from tmapi_search.bulk.summary import RunSummary


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


def bulk(
    ctx: typer.Context,
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="Catalogue with an img_url column (sku/id and other columns carried "
            "along): .csv/.tsv/.txt (encoding and delimiter detected) or .xlsx; or a text "
            "file with one image URL per line.",
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
    ] = 64,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Also retry images that failed for good (e.g. 422)."),
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the live progress bar.")
    ] = True,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Sheet of an .xlsx catalogue (default: first).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Encoding of a text catalogue (default: detected)."),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            help="Delimiter of a text catalogue: a character or tab/comma/semicolon/pipe "
            "(default: sniffed among , ; tab |).",
        ),
    ] = None,
    image_column: Annotated[
        str | None,
        typer.Option(
            "--image-column",
            help="The column holding the image URLs (default: recognised by name: img_url, "
            "image, image url, photo, picture, 图片链接, 主图 ...).",
        ),
    ] = None,
    sku_column: Annotated[
        str | None,
        typer.Option(
            "--sku-column",
            help="The column identifying a row (default: recognised by name: sku, item "
            "code, product code, 商品编码, 货号, 编码).",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another bulk run holds --db, wait for it to end instead of refusing.",
        ),
    ] = False,
    max_connection_failures: Annotated[
        int | None,
        typer.Option(
            "--max-connection-failures",
            min=1,
            show_default=False,
            help="Stop the run after this many calls in a row got no answer (connection "
            "refused or cut, timeout). Default: twice the calls in flight.",
        ),
    ] = None,
    api: ApiOpt = ApiVersion.v1,
    price_start: PriceStart = None,
    price_end: PriceEnd = None,
    converted_ttl: Annotated[
        float,
        typer.Option(
            "--converted-ttl",
            min=0,
            help="Minutes a stored converted path is reused before the image is converted "
            "again (field reports: paths stay valid >= ~70 min).",
        ),
    ] = 60.0,
    max_calls: Annotated[
        int | None,
        typer.Option(
            "--max-calls",
            min=0,
            show_default=False,
            help="Pay at most N calls (searches, conversions, retries) in this run, then "
            "stop cleanly (exit 8); the same command goes on.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Send nothing: print the images to search, the rows served by a shared "
            "search, the conversions and the calls it would take.",
        ),
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="With --dry-run: one JSON object.")
    ] = False,
) -> None:
    """Search every image of a catalogue into SQLite; resumable (run it again to resume)."""
    from tmapi_search.bulk import run_catalogue
    from tmapi_search.cli.progress import ProgressDisplay

    config = get_config(ctx)
    options = {
        "page_size": page_size,
        "language": language.value,
        "sort": sort.value,
        "no_convert": no_convert,
        "max_items_per_image": max_items_per_image,
        "retry_failed": retry_failed,
        "sheet": sheet,
        "encoding": encoding,
        "delimiter": delimiter,
        "api": api.value,
        "price_start": price_start,
        "price_end": price_end,
        "converted_ttl": converted_ttl,
    }
    if json_out and not dry_run:
        die(config, EXIT_USAGE, "--json: only with --dry-run")
    if dry_run:
        _dry_run(config, input_path, db, options, json_out)
        return
    display = ProgressDisplay(stderr, enabled=progress and stderr.is_terminal)
    try:
        with api_errors(config), engine_errors(config):
            summary = run_catalogue(
                input_path,
                db,
                api_token=config.api_token,
                base_url=config.base_url,
                auth=config.auth,
                on_progress=display,
                handle_signals=True,
                page_size=page_size,
                language=language.value,
                sort=sort.value,
                support_dropshipping=support_dropshipping,
                is_factory=is_factory,
                verified_supplier=verified_supplier,
                free_shipping=free_shipping,
                new_arrival=new_arrival,
                no_convert=no_convert,
                max_items_per_image=max_items_per_image,
                concurrency=_concurrency(concurrency),
                max_concurrency=max_concurrency,
                retry_failed=retry_failed,
                sheet=sheet,
                encoding=encoding,
                delimiter=delimiter,
                image_column=image_column,
                sku_column=sku_column,
                wait=wait,
                max_connection_failures=max_connection_failures,
                api=api.value,
                price_start=price_start,
                price_end=price_end,
                converted_ttl=converted_ttl,
                timeout=config.timeout,
                max_retries=config.max_retries,
                max_calls=max_calls,
            )
    finally:
        display.stop()
    raise typer.Exit(_report(config, summary))


def _dry_run(
    config: Config, input_path: Path, db: Path, options: dict[str, Any], as_json: bool
) -> None:
    """`--dry-run`: the estimate (`bulk.estimate_catalogue`), nothing sent or written."""
    from tmapi_search.bulk import estimate_catalogue

    with engine_errors(config):
        estimate = estimate_catalogue(input_path, db if db.exists() else None, **options)
    if as_json:
        stdout.print_json(json.dumps(estimate.to_dict()), indent=None)
        return
    stdout.print(
        f"{input_path} against {db} (nothing sent, nothing written):\n{estimate.describe()}",
        markup=False,
    )


def _report(config: Config, summary: RunSummary) -> int:
    """Print the summary and what stopped the run; the exit code."""
    if summary.outcome == "interrupted" and summary.run_id is None:
        return EXIT_INTERRUPTED  # stopped while reading, before any call: said already
    _print_summary(summary)
    if summary.outcome == "storage":
        die(
            config,
            EXIT_STORAGE,
            f"{summary.message} ({summary.calls} paid call(s) this run, {summary.done_now} "
            f"image(s) saved); free space, then run the same command again to resume",
        )
    if summary.message:
        style = "red" if summary.outcome in ("billing", "auth", "network", "error") else "yellow"
        stderr.print(escape(redact_for(summary.message, config)), style=style)
    if summary.outcome == "budget":
        stderr.print(
            f"{summary.pending} image(s) left to search: run the same command again to go on",
            style="yellow",
        )
    if summary.catalogue_error is not None:
        return EXIT_USAGE
    return _exit_for(summary)


def _exit_for(summary: RunSummary) -> int:
    """The exit code of a run that ended (`errors_now`: the rows it failed, by class)."""
    outcome = summary.outcome
    if outcome in ("billing", "auth"):
        return EXIT_BILLING
    if outcome == "interrupted":
        return EXIT_INTERRUPTED
    if outcome == "network":
        return EXIT_NETWORK
    if outcome == "error":
        return EXIT_ERROR
    if outcome == "budget":
        return EXIT_BUDGET
    if summary.errors_now:
        network = {"APIConnectionError", "APITimeoutError"}
        return EXIT_NETWORK if set(summary.errors_now) <= network else EXIT_API
    if summary.unusable:
        return EXIT_API  # some answers could not be used: those images stay pending
    if summary.left_pending:
        return EXIT_NETWORK  # some calls got no answer: those images stay pending
    return EXIT_OK


def _print_summary(summary: RunSummary) -> None:
    counts = summary.counts
    line = (
        f"{summary.db}: {counts.done} done, {counts.failed} failed, {counts.pending} pending "
        f"of {counts.rows} images; {counts.items} items stored"
    )
    if summary.run_id is not None:
        line += (
            f" (this run: {summary.done_now} done, {summary.failed_now} failed in "
            f"{summary.elapsed:.1f} s, {summary.rate:.1f} images/s, {summary.calls} calls, "
            f"{summary.refused_503} refused by 503)"
        )
    stdout.print(line, markup=False)
    if summary.shared_now:
        stdout.print(
            f"{summary.shared_now} row(s) served by a shared search (same image URL as another "
            "row, no call of their own)",
            markup=False,
        )
    if summary.repeats_stopped:
        stdout.print(
            f"{summary.repeats_stopped} image(s): paging stopped at a page that brought no new "
            "offer (the API repeated the offers already stored): no further page paid for",
            markup=False,
        )
    if counts.failed_by_class:
        detail = ", ".join(f"{name} x{n}" for name, n in counts.failed_by_class.items())
        stdout.print(f"failed: {detail}", markup=False)
    if summary.pending_errors:
        detail = ", ".join(f"{name} x{n}" for name, n in summary.pending_errors.items())
        stdout.print(
            f"left pending (no answer, or none that could be used): {detail}; the same "
            "command searches them again",
            markup=False,
        )


COMMANDS = [(bulk, epilog(*API_CALL, *ENGINE, EXIT_ERROR, EXIT_BUDGET))]
