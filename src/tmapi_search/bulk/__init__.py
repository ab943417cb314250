"""The catalogue engine: search every image of a catalogue into SQLite, resumably.

The Python API (what the `tmapi-search` catalogue commands call):

- `run_catalogue(input, db, **options) -> RunSummary` and `arun_catalogue(...)`;
- `export_results(db, out, format=...)`, `read_status(db) -> Status`,
  `write_report(db, out)`, `read_drift(db)` (the contract drift the runs recorded);
- progress events (`tmapi_search.bulk.events`) and one exception tree (`BulkError`,
  `tmapi_search.bulk.errors`);
- from matches to a decision: `list_suppliers(db, terms)` / `export_suppliers(...)`
  (`suppliers`), prices at a quantity and margins (`Terms`, `pricing`), the score and
  shortlist (`shortlist`); a run's cost before it runs, `estimate_catalogue(input, db,
  **options)` (`budget`), and `max_calls=` to cap it.

Underneath: `inputs` reads catalogues, `store` is the results database (`schema`,
`ingest`, `runs`, `results`, `accounts`), `runner` runs the paid searches
(`concurrency` finds the account's cap), `lock` keeps one run per database, `export`
and `rows` write the results back out (`atomic` writes files). Depends on the SDK
only, never on `tmapi_search.cli`. Names are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tmapi_search.bulk.api import (
        ExportSummary,
        arun_catalogue,
        export_results,
        read_status,
        run_catalogue,
        write_report,
    )
    from tmapi_search.bulk.budget import Estimate, estimate_catalogue
    from tmapi_search.bulk.drift import DriftSummary, read_drift
    from tmapi_search.bulk.errors import (
        ApiUnreachableError,
        BillingStoppedError,
        BudgetReachedError,
        BulkError,
        CatalogueError,
        InterruptedRunError,
        LockedError,
        OutputError,
        ParamsMismatchError,
        RunStoppedError,
        StorageError,
        StorageStoppedError,
        UnexpectedStopError,
        UsageError,
    )
    from tmapi_search.bulk.options import RunOptions
    from tmapi_search.bulk.pricing import Terms, TermsError
    from tmapi_search.bulk.runner import BulkRunner, BulkSettings, BulkStats
    from tmapi_search.bulk.store import InputAccount, Store
    from tmapi_search.bulk.summary import Counts, RunRecord, RunSummary, Status
    from tmapi_search.bulk.suppliers import Supplier, export_suppliers, list_suppliers

_WHERE = {
    "tmapi_search.bulk.drift": ("DriftSummary", "read_drift"),
    "tmapi_search.bulk.api": (
        "ExportSummary",
        "arun_catalogue",
        "export_results",
        "read_status",
        "run_catalogue",
        "write_report",
    ),
    "tmapi_search.bulk.budget": ("Estimate", "estimate_catalogue"),
    "tmapi_search.bulk.errors": (
        "ApiUnreachableError",
        "BillingStoppedError",
        "BudgetReachedError",
        "BulkError",
        "CatalogueError",
        "InterruptedRunError",
        "LockedError",
        "OutputError",
        "ParamsMismatchError",
        "RunStoppedError",
        "StorageError",
        "StorageStoppedError",
        "UnexpectedStopError",
        "UsageError",
    ),
    "tmapi_search.bulk.options": ("RunOptions",),
    "tmapi_search.bulk.pricing": ("Terms", "TermsError"),
    "tmapi_search.bulk.runner": ("BulkRunner", "BulkSettings", "BulkStats"),
    "tmapi_search.bulk.store": ("InputAccount", "Store"),
    "tmapi_search.bulk.summary": ("Counts", "RunRecord", "RunSummary", "Status"),
    "tmapi_search.bulk.suppliers": ("Supplier", "export_suppliers", "list_suppliers"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [
    "ApiUnreachableError",
    "BillingStoppedError",
    "BudgetReachedError",
    "BulkError",
    "BulkRunner",
    "BulkSettings",
    "BulkStats",
    "CatalogueError",
    "Counts",
    "DriftSummary",
    "Estimate",
    "ExportSummary",
    "InputAccount",
    "InterruptedRunError",
    "LockedError",
    "OutputError",
    "ParamsMismatchError",
    "RunOptions",
    "RunRecord",
    "RunStoppedError",
    "RunSummary",
    "Status",
    "StorageError",
    "StorageStoppedError",
    "Store",
    "Supplier",
    "Terms",
    "TermsError",
    "UnexpectedStopError",
    "UsageError",
    "arun_catalogue",
    "estimate_catalogue",
    "export_results",
    "export_suppliers",
    "list_suppliers",
    "read_drift",
    "read_status",
    "run_catalogue",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
