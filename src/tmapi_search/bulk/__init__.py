"""The catalogue engine: search every image of a catalogue into SQLite, resumably.

What the `tmapi-search bulk` / `export` commands drive, and what Python users can drive
themselves: `inputs` reads catalogues, `store` is the results database, `runner` runs
the paid searches (`concurrency` finds the account's cap), `lock` keeps one run per
database, `export` and `rows` write the results back out (`atomic` writes files), and
`drift` keeps the contract drift of each run (`read_drift`), and
`Store.account()` is the per-input account (status, error, item count of every row).
Depends on the SDK only, never on `tmapi_search.cli`.
"""

from __future__ import annotations

from tmapi_search.bulk.drift import DriftSummary, read_drift
from tmapi_search.bulk.runner import BulkRunner, BulkSettings, BulkStats
from tmapi_search.bulk.store import InputAccount, Store

__all__ = [
    "BulkRunner",
    "BulkSettings",
    "BulkStats",
    "DriftSummary",
    "InputAccount",
    "Store",
    "read_drift",
]
