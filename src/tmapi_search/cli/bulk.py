"""`tmapi-search bulk`: a whole catalogue into SQLite, resumable, with a progress bar.

Parses the options, calls `tmapi_search.bulk.run_catalogue` (the engine does the run:
the lock, the reading, the searches, the saves), draws its events and maps its summary
and its exceptions to an exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.cli.bulk_summary import print_estimate, report_run
from tmapi_search.cli.console import api_errors, die, engine_errors, stderr
from tmapi_search.cli.exit_codes import (
    API_CALL,
    ENGINE,
    EXIT_BUDGET,
    EXIT_ERROR,
    EXIT_USAGE,
    epilog,
)
from tmapi_search.cli.options import (
    ApiOpt,
    ApiVersion,
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
        "image_column": image_column,
        "sku_column": sku_column,
        "api": api.value,
        "price_start": price_start,
        "price_end": price_end,
        "converted_ttl": converted_ttl,
    }
    if json_out and not dry_run:
        die(config, EXIT_USAGE, "--json: only with --dry-run")
    if dry_run:
        print_estimate(config, input_path, db, options, json_out)
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
    raise typer.Exit(report_run(config, summary))


COMMANDS = [(bulk, epilog(*API_CALL, *ENGINE, EXIT_ERROR, EXIT_BUDGET))]
