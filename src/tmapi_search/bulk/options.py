"""The options of a catalogue run, under the CLI's names, checked in one place.

`run_catalogue(input, db, **options)` takes these as keyword arguments (`RunOptions`'
fields); `tmapi-search bulk --page-size 10` is `page_size=10`. A value that cannot work
raises `UsageError` naming the option before anything is read or paid for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from tmapi_search.bulk.errors import UsageError

if TYPE_CHECKING:
    from tmapi_search.bulk.runner import BulkSettings

__all__ = ["RunOptions", "check_search_options"]


def check_search_options(
    *,
    api: str,
    page_size: int,
    price_start: object = None,
    price_end: object = None,
    no_convert: bool = False,
    language: str = "en",
) -> tuple[str | None, str | None]:
    """Options only one of the two searches takes; UsageError naming the option.

    Returns the price range to send (v2), as `validation.check_price_range` does.
    """
    from tmapi_search import validation

    if api not in ("v1", "v2"):
        raise UsageError(f"--api: must be v1 or v2, got {api!r}")
    if api == "v1":
        if not 1 <= page_size <= validation.MAX_PAGE_SIZE:
            raise UsageError("--page-size: must be between 1 and 20 with --api v1")
        for name, value in (("--price-start", price_start), ("--price-end", price_end)):
            if value is not None:
                raise UsageError(f"{name}: only the v2 search filters by price (--api v2)")
        if language not in validation.LANGUAGES:
            raise UsageError(
                f"--language: must be one of {', '.join(validation.LANGUAGES)}, got {language!r}"
            )
        return None, None
    if page_size < 1:
        raise UsageError("--page-size: must be 1 or more")
    if no_convert:
        raise UsageError("--no-convert: the v2 search takes converted paths only")
    if language not in validation.LANGUAGES_V2:
        raise UsageError(
            f"--language: must be one of {', '.join(validation.LANGUAGES_V2)} with --api v2, "
            f"got {language!r}"
        )
    try:
        return validation.check_price_range(price_start, price_end)
    except ValueError as error:
        raise UsageError("--" + str(error).replace("_", "-", 1)) from None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Every option of a run (the CLI's `bulk` options, same names, same defaults)."""

    max_items_per_image: int = 20
    """Items kept per image."""
    page_size: int = 20
    language: str = "en"
    sort: str = "default"
    support_dropshipping: bool = False
    is_factory: bool = False
    verified_supplier: bool = False
    free_shipping: bool = False
    new_arrival: bool = False
    no_convert: bool = False
    """Send non-Alibaba image URLs as they are (no conversion call)."""
    concurrency: int | Literal["auto"] | None = "auto"
    """Calls in flight: a number, or "auto" (None too): find the account's cap."""
    max_concurrency: int = 64
    """Upper bound for auto concurrency."""
    retry_failed: bool = False
    """Also retry images that failed for good (e.g. 422)."""
    sheet: str | None = None
    """Sheet of an .xlsx catalogue (default: the first)."""
    encoding: str | None = None
    """Encoding of a text catalogue (default: detected)."""
    delimiter: str | None = None
    """Delimiter of a text catalogue: a character or tab/comma/semicolon/pipe (sniffed)."""
    image_column: str | None = None
    """The column holding the image URLs (default: recognised by its name, see
    `tmapi_search.bulk.columns`: img_url, image, photo url, 图片链接 ...)."""
    sku_column: str | None = None
    """The column identifying a row (default: recognised: sku, item code, 商品编码 ...)."""
    wait: bool = False
    """If another run holds the database, wait for it to end instead of refusing."""
    max_connection_failures: int | None = None
    """Stop after this many calls in a row got no answer (default: twice the calls in flight)."""
    api: Literal["v1", "v2"] = "v1"
    price_start: str | int | float | Decimal | None = None
    """v2 only: lowest price (CNY)."""
    price_end: str | int | float | Decimal | None = None
    """v2 only: highest price (CNY)."""
    converted_ttl: float = 60.0
    """Minutes a stored converted path is reused before the image is converted again."""
    timeout: float | None = None
    """Seconds to wait for an answer (the client's default: 60)."""
    max_retries: int = 2
    """Retries per call for transient errors."""
    grace: float = 10.0
    """Seconds calls in flight may take to finish once a stop is asked for."""
    max_calls: int | None = None
    """Paid calls this run makes at most (searches, conversions, retries); the run then
    stops cleanly (outcome `budget`) and the next one resumes. None: no cap."""

    @property
    def fixed_concurrency(self) -> int | None:
        """The fixed number of calls in flight; None for auto."""
        if self.concurrency is None or self.concurrency == "auto":
            return None
        return self.concurrency

    def check(self) -> None:
        """UsageError naming the first option that cannot work."""
        from tmapi_search import validation

        for name in ("max_items_per_image", "max_concurrency"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise UsageError(f"--{name.replace('_', '-')}: must be 1 or more, got {value!r}")
        if self.max_calls is not None and (
            not isinstance(self.max_calls, int) or self.max_calls < 0
        ):
            raise UsageError(f"--max-calls: must be 0 or more, got {self.max_calls!r}")
        fixed = self.concurrency
        if fixed is not None and fixed != "auto" and (not isinstance(fixed, int) or fixed < 1):
            raise UsageError(f"--concurrency: must be 'auto' or a whole number >= 1, got {fixed!r}")
        if self.max_connection_failures is not None and self.max_connection_failures < 1:
            raise UsageError("--max-connection-failures: must be 1 or more")
        if self.max_retries < 0:
            raise UsageError("--max-retries: must be 0 or more")
        if self.converted_ttl < 0:
            raise UsageError("--converted-ttl: must be 0 or more")
        if self.sort not in validation.SORTS:
            raise UsageError(
                f"--sort: must be one of {', '.join(validation.SORTS)}, got {self.sort!r}"
            )
        check_search_options(
            api=self.api,
            page_size=self.page_size,
            price_start=self.price_start,
            price_end=self.price_end,
            no_convert=self.no_convert,
            language=self.language,
        )

    def search(self) -> dict[str, Any]:
        """The API's search parameters; a filter flag not given is not sent at all."""
        search: dict[str, Any] = {
            "page_size": self.page_size,
            "language": self.language,
            "sort": self.sort,
            "support_dropshipping": self.support_dropshipping or None,
            "is_factory": self.is_factory or None,
            "verified_supplier": self.verified_supplier or None,
            "free_shipping": self.free_shipping or None,
            "new_arrival": self.new_arrival or None,
        }
        if self.api == "v2":
            start, end = check_search_options(
                api="v2",
                page_size=self.page_size,
                price_start=self.price_start,
                price_end=self.price_end,
                language=self.language,
            )
            search.update(price_start=start, price_end=end)
        return search

    def settings(self) -> BulkSettings:
        """The runner's settings."""
        from tmapi_search.bulk.runner import BulkSettings

        fixed = self.fixed_concurrency
        return BulkSettings(
            search=self.search(),
            max_items_per_image=self.max_items_per_image,
            concurrency=fixed,
            max_concurrency=max(self.max_concurrency, fixed or 0),
            max_retries=self.max_retries,
            convert=False if self.no_convert else "auto",
            retry_failed=self.retry_failed,
            max_connection_failures=self.max_connection_failures,
            api=self.api,
            converted_ttl=self.converted_ttl * 60,
            grace=self.grace,
            max_calls=self.max_calls,
        )

    def search_params(self) -> dict[str, Any]:
        """What the database records as its search (a run with others is refused)."""
        params = {**self.search(), "max_items_per_image": self.max_items_per_image}
        if self.api != "v1":  # v1 databases keep their parameters as before
            params["api"] = self.api
        return params
