"""What a run would pay, before it pays anything (`estimate_catalogue`, `bulk --dry-run`).

The catalogue is read (nothing is stored) and held against the results database, if
there is one (opened read-only): a row whose image URL already has a settled search in
it (done, or failed for good) costs nothing; the other rows' distinct image URLs are
searched once each, the rows sharing one are served by it; an image not on an Alibaba
host is converted first unless a fresh converted path is stored (v2: always converted).

A search asks for pages until it holds `max_items_per_image` items or the results end:
`pages` full pages (`max_items_per_image` / `page_size`) when the API fills them, as it
usually does (`expected_calls`); but the contract allows a page shorter than asked
for, so a search may take up to `max_items_per_image` pages (`max_calls`, the upper
bound). Neither counts retries: each retry of a transient error (503, a timeout ...) is
one call more, and `--max-calls` (`max_calls=` of a run) counts those too: it is the
cap that holds whatever the answers.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from tmapi_search.bulk.errors import BulkError, CatalogueError, StorageError, UsageError
from tmapi_search.bulk.inputs import InputError, InputImage, open_input
from tmapi_search.bulk.options import RunOptions
from tmapi_search.bulk.schema import check_usable
from tmapi_search.bulk.store import Store, normalise_url
from tmapi_search.images import needs_conversion

__all__ = ["Estimate", "estimate_catalogue"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A run's calls, counted before it starts (see the module docstring)."""

    images: int
    """Catalogue rows with an image URL to search (a repeated row counted once)."""
    done: int
    """Of them, rows the database already holds a settled search for: no call."""
    to_search: int
    """Distinct image URLs to search (one search each)."""
    shared: int
    """Rows served by another row's search (the same image URL): no call of their own."""
    conversions: int
    """Image URLs to convert before their search."""
    pages: int
    """Pages a search asks for when the API fills them."""
    expected_calls: int
    """conversions + to_search x pages: the paid calls when pages come full."""
    max_calls: int
    """conversions + to_search x max_items_per_image: the upper bound (pages of one item),
    retries aside."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """A few lines for people."""
        lines = [
            f"{self.images} image row(s) in the catalogue",
            f"{self.done} already searched (in the database): no call",
            f"{self.to_search} image(s) to search"
            + (f" (up to {self.pages} pages each)" if self.pages > 1 else ""),
            f"{self.shared} row(s) served by a shared search (same image URL): no call",
            f"{self.conversions} conversion(s) needed",
            f"{self.expected_calls} paid call(s) when pages come full; at most "
            f"{self.max_calls}, retries aside (cap a run with --max-calls)",
        ]
        return "\n".join(lines)


def estimate_catalogue(input: str | Path, db: str | Path | None = None, **options: Any) -> Estimate:
    """Count what `run_catalogue(input, db, **options)` would pay (see the module
    docstring). `options`: the run's (`RunOptions`' fields: `max_items_per_image`,
    `page_size`, `api`, `no_convert`, `retry_failed`, `encoding` ...).

    Sends nothing and writes nothing. Raises `UsageError` (an option, a catalogue that
    cannot be read, a `db` that is not a results database) or `StorageError`.
    """
    try:
        run = RunOptions(**options)
    except TypeError as error:
        raise UsageError(f"estimate_catalogue: {error}") from None
    run.check()
    try:
        return _estimate(Path(input), None if db is None else Path(db), run)
    except InputError as error:
        raise CatalogueError(str(error)) from None
    except BulkError:
        raise
    except ValueError as error:  # not a results database
        raise UsageError(str(error)) from None
    except (sqlite3.Error, OSError) as error:
        raise StorageError(f"--db: cannot read {db}: {error}") from error


def _estimate(input: Path, db: Path | None, options: RunOptions) -> Estimate:
    reading = {
        "encoding": options.encoding,
        "delimiter": options.delimiter,
        "sheet": options.sheet,
        "image_column": options.image_column,
        "sku_column": options.sku_column,
    }
    convert: bool | Literal["auto"] = False if options.no_convert else "auto"
    retry_failed = options.retry_failed
    converted_ttl = options.converted_ttl * 60
    max_items_per_image, page_size = options.max_items_per_image, options.page_size
    api = options.api
    store = None
    if db is not None:
        check_usable(db)  # what the run would refuse, the estimate refuses
    if db is not None and Path(db).exists():
        store = Store(db, readonly=True)
    mode: bool | Literal["auto"] = True if api == "v2" else convert
    keys: set[str] = set()
    searched: set[str] = set()
    images = done = shared = conversions = 0
    try:
        with open_input(input, **reading) as stream:
            for kind, row in stream:
                if not isinstance(row, InputImage) or kind != "image" or row.key in keys:
                    continue  # a bad row, a warning, or a repeated row: never searched
                keys.add(row.key)
                images += 1
                url = normalise_url(row.img_url)
                if url in searched:
                    shared += 1
                    continue
                if store is not None and store.settled_for(url, retry_failed=retry_failed):
                    done += 1
                    searched.add(url)  # later rows with it are served by that result
                    continue
                searched.add(url)
                if needs_conversion(row.img_url, mode) and (
                    store is None or store.converted_for(url, max_age=converted_ttl) is None
                ):
                    conversions += 1
    finally:
        if store is not None:
            store.close()
    to_search = len(searched) - done
    pages = max(1, math.ceil(max_items_per_image / max(page_size, 1)))
    return Estimate(
        images=images,
        done=done,
        to_search=to_search,
        shared=shared,
        conversions=conversions,
        pages=pages,
        expected_calls=conversions + to_search * pages,
        max_calls=conversions + to_search * max(max_items_per_image, 1),
    )
