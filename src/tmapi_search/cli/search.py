"""`tmapi-search search` and `tmapi-search convert`: one image at a time."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.cli.console import api_errors, die, stdout
from tmapi_search.cli.exit_codes import API_CALL, EXIT_USAGE, epilog
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
    OutputFormat,
    PageSize,
    PriceEnd,
    PriceStart,
    SortOpt,
    Verified,
    get_config,
    search_options,
)


def _check(
    config: Config,
    api: ApiVersion,
    page_size: int,
    price_start: str | None,
    price_end: str | None,
    no_convert: bool,
    language: str,
) -> None:
    """Options that only one of the two searches takes: exit 2 naming the option."""
    from tmapi_search.bulk.errors import UsageError
    from tmapi_search.bulk.options import check_search_options

    try:
        check_search_options(
            api=api.value,
            page_size=page_size,
            price_start=price_start,
            price_end=price_end,
            no_convert=no_convert,
            language=language,
        )
    except UsageError as error:
        die(config, EXIT_USAGE, str(error))


# -- search -------------------------------------------------------------------------
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
        OutputFormat,
        typer.Option(
            "--format",
            help="Output format (xlsx: redirect standard output to a file).",
            case_sensitive=False,
        ),
    ] = OutputFormat.table,
    api: ApiOpt = ApiVersion.v1,
    price_start: PriceStart = None,
    price_end: PriceEnd = None,
    bom: Annotated[
        bool,
        typer.Option("--bom", help="Start CSV with a UTF-8 byte-order mark (for Excel)."),
    ] = False,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="Table: every column in full (product URL included)."),
    ] = False,
) -> None:
    """Search 1688 for products that look like one image."""
    from tmapi_search.cli.output import write_items
    from tmapi_search.client import TmapiClient

    config = get_config(ctx)
    _check(config, api, page_size, price_start, price_end, no_convert, language.value)
    if fmt is OutputFormat.xlsx and sys.stdout.isatty():
        die(config, EXIT_USAGE, "--format xlsx writes a workbook: redirect it, > results.xlsx")
    options = search_options(
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
    with api_errors(config), TmapiClient(**config.client_kwargs()) as client:
        title: str | None
        if api is ApiVersion.v2:
            prices: dict[str, Any] = {"price_start": price_start, "price_end": price_end}
            if max_items is None:
                data_v2 = client.search_by_image_v2(img_url, page=page, **prices, **options)
                items_v2 = list(data_v2.items)
                more = "more pages" if data_v2.has_next_page is True else "last page"
                title = (
                    f"v2 page {data_v2.page}: {len(items_v2)} items of "
                    f"{data_v2.total_count} ({more})"
                )
            else:
                items_v2 = list(
                    client.iter_search_by_image_v2(
                        img_url, max_items=max_items, page=page, **prices, **options
                    )
                )
                title = f"{len(items_v2)} items (v2)"
            items: list[Any] = items_v2
        elif max_items is None:
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
    if fmt is not OutputFormat.table:
        sys.stdout.flush()
    # UTF-8 bytes (or a workbook) whatever the terminal's or the locale's encoding
    write_items(
        items,
        fmt.value,
        console=stdout,
        out=sys.stdout.buffer,
        title=title,
        bom=bom,
        # a pipe or a file is no screen: its reader (grep, cut, a log) gets whole cells
        wide=wide or not stdout.is_terminal,
        source=img_url,
    )
    sys.stdout.buffer.flush()


# -- convert ------------------------------------------------------------------------
def convert(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Image URL hosted outside Alibaba's platforms.")],
    search_api_endpoint: Annotated[
        str,
        typer.Option(
            "--search-api-endpoint",
            help="The search the converted path is for (/global/search/image/v2 for --api v2).",
        ),
    ] = "/global/search/image",
) -> None:
    """Convert an image URL for the image search; prints the converted path."""
    from tmapi_search.client import TmapiClient

    config = get_config(ctx)
    with api_errors(config), TmapiClient(**config.client_kwargs()) as client:
        path = client.convert_image_url(url, search_api_endpoint=search_api_endpoint)
    stdout.print(path, markup=False)


COMMANDS = [(search, epilog(*API_CALL)), (convert, epilog(*API_CALL))]
