"""The results database of a catalogue run: one SQLite file (stdlib `sqlite3`, WAL).

`Store` is the one object the engine works with; what it does lives in a module per
concern, each named for it:

- `tmapi_search.bulk.schema`: the tables, their migrations, how a file is opened
  (read-only opens included) and the transaction plumbing;
- `tmapi_search.bulk.ingest`: a catalogue read into the database batch by batch, and
  the rows a run must search;
- `tmapi_search.bulk.runs`: the runs and the search parameters of a database;
- `tmapi_search.bulk.results`: what a run saves for each image (pages, done, failed,
  shared searches);
- `tmapi_search.bulk.accounts`: reading it back (the per-input account, counts, items).
"""

from __future__ import annotations

from tmapi_search.bulk.accounts import (
    AccountsMixin,
    AccountStatus,
    InputAccount,
    RunCounts,
    StoredItem,
)
from tmapi_search.bulk.ingest import INVALID_INPUT, CatalogueChanges, Ingestion, IngestMixin
from tmapi_search.bulk.results import PartialPages, ResultsMixin
from tmapi_search.bulk.runs import ParamsMismatchError, RunsMixin
from tmapi_search.bulk.schema import (
    SCHEMA,
    ImageRecord,
    ImageStatus,
    check_usable,
    is_sqlite_file,
    normalise_url,
    open_readonly,
)

__all__ = [
    "INVALID_INPUT",
    "SCHEMA",
    "AccountStatus",
    "CatalogueChanges",
    "ImageRecord",
    "ImageStatus",
    "Ingestion",
    "InputAccount",
    "ParamsMismatchError",
    "PartialPages",
    "RunCounts",
    "Store",
    "StoredItem",
    "check_usable",
    "is_sqlite_file",
    "normalise_url",
    "open_readonly",
]


class Store(IngestMixin, RunsMixin, ResultsMixin, AccountsMixin):
    """A results database. Use as a context manager, or call `close()`.

    `Store(path)` opens (and creates, or brings up to date) a results database;
    `Store(path, readonly=True)` opens an existing one without changing a byte.
    """
