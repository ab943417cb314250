"""The catalogue engine's exceptions: one tree under `BulkError`.

```text
BulkError
├── UsageError (also a ValueError)    an option, the input or the database refused: fix and rerun
│   ├── CatalogueError                the catalogue cannot be read, or has no image to search
│   ├── ParamsMismatchError           the database was searched with other options
│   ├── LockedError                   another run holds the database
│   └── OutputError                   the output path is refused (exists, is the database ...)
├── StorageError                      a file cannot be read or written (disk full, I/O, locked)
└── RunStoppedError                   a run stopped before its end (`RunSummary.raise_for_outcome`)
    ├── BillingStoppedError           439 (subscription, balance) or the token refused (401/403)
    ├── ApiUnreachableError           the API stopped answering
    ├── StorageStoppedError           a save failed: the spending stopped at once
    ├── InterruptedRunError           stopped by a signal, or by a catalogue row it cannot read
    ├── UnexpectedStopError           an exception nothing expected (a bug): rows left pending
    └── BudgetReachedError            `max_calls` paid calls made: stopped cleanly, resumable
```

Errors of the API itself before any call (a missing token, say) are the SDK's own
(`tmapi_search.errors`). No message holds the API token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tmapi_search.bulk.summary import RunSummary

__all__ = [
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
]


class BulkError(Exception):
    """Base of the catalogue engine's errors."""


class UsageError(BulkError, ValueError):
    """An option, the catalogue or the database is refused; nothing was paid for."""


class CatalogueError(UsageError):
    """The catalogue cannot be read, or holds no image URL to search."""


class ParamsMismatchError(UsageError):
    """The database was started with other search parameters than this run's."""


class LockedError(UsageError):
    """Another live run holds the database (`wait=True` waits for it instead)."""


class OutputError(UsageError):
    """The output path is refused: it exists (without `force`), or is a SQLite file."""


class StorageError(BulkError):
    """A file cannot be read or written: disk full, read-only media, I/O error, locked."""


class RunStoppedError(BulkError):
    """A run stopped before its end; `summary` says what it did and why it stopped."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(summary.message or summary.outcome)
        self.summary = summary


class BillingStoppedError(RunStoppedError):
    """The API refused to bill the account (439) or refused the token (401/403)."""


class ApiUnreachableError(RunStoppedError):
    """The API stopped answering; the images not searched stay pending."""


class StorageStoppedError(RunStoppedError):
    """A save failed (a full disk, say): no further paid call was made."""


class InterruptedRunError(RunStoppedError):
    """Stopped by a signal (or `stop`), or by a catalogue row that cannot be read."""


class UnexpectedStopError(RunStoppedError):
    """An exception nothing expected stopped the run (a bug, or an answer nothing foresaw).

    The results paid for are saved; the rows not finished stay pending with the error
    noted, and the same run started again resumes them.
    """


class BudgetReachedError(RunStoppedError):
    """`max_calls` paid calls were made: the run stopped cleanly; the next one resumes."""
