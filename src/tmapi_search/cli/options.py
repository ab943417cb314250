"""Options shared by the commands: the global ones (`Config`) and the search's filters.

The commands import this module; the app imports the commands; nothing here imports
either, so the arrows point one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.auth import Secret

__all__ = [
    "ApiOpt",
    "ApiVersion",
    "AuthOption",
    "Config",
    "ExportFormat",
    "OutputFormat",
    "get_config",
    "search_options",
]


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
    tsv = "tsv"
    jsonl = "jsonl"
    xlsx = "xlsx"


@dataclass(slots=True)
class Config:
    """The global options (`tmapi-search --api-token ... COMMAND`)."""

    api_token: Secret | None  # repr shows Secret('***')
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


def get_config(ctx: typer.Context) -> Config:
    config = ctx.obj
    assert isinstance(config, Config)
    return config


# -- the search's options (search, bulk) ---------------------------------------------
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
