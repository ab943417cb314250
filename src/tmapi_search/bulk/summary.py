"""What a run did (`RunSummary`) and what a database holds (`Status`): plain values.

Both carry the counts of the database's input rows: `ok` (items found), `no_match`
(searched, nothing found), `done` (= ok + no_match), `failed`, `pending`; `rows` is
every input row. `RunSummary` adds this run's own figures (`calls`: paid calls) and
its `outcome`; `Status` adds every run's record and whether one is writing now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tmapi_search.bulk.accounts import InputAccount, RunCounts
from tmapi_search.bulk.errors import (
    ApiUnreachableError,
    BillingStoppedError,
    BudgetReachedError,
    InterruptedRunError,
    RunStoppedError,
    StorageStoppedError,
    UnexpectedStopError,
)

__all__ = ["Counts", "Outcome", "RunRecord", "RunSummary", "Status"]

#: How a run ended: `completed` (every row it could search was searched; some may have
#: failed), `interrupted` (a signal, `stop`, or a catalogue row it cannot read),
#: `billing` (439), `auth` (401/403), `network` (the API stopped answering), `storage`
#: (a save failed; the spending stopped), `error` (an exception nothing expected, or rows
#: left pending by a run that met no error: never reported as completed), `budget`
#: (`max_calls` reached: stopped cleanly, the next run resumes).
Outcome = Literal[
    "completed", "interrupted", "billing", "auth", "network", "storage", "error", "budget"
]

_STOPPED: dict[str, type[RunStoppedError]] = {
    "billing": BillingStoppedError,
    "auth": BillingStoppedError,
    "network": ApiUnreachableError,
    "storage": StorageStoppedError,
    "interrupted": InterruptedRunError,
    "error": UnexpectedStopError,
    "budget": BudgetReachedError,
}


@dataclass(frozen=True, slots=True)
class Counts:
    """The database's input rows by status, and its items."""

    rows: int = 0
    ok: int = 0
    no_match: int = 0
    failed: int = 0
    pending: int = 0
    items: int = 0
    shared: int = 0
    """Rows served by another row's search (same image URL): no call of their own."""
    partial: int = 0
    """Rows not finished holding pages already paid for (the next run asks for the rest)."""
    rejected: int = 0
    """Of `failed`: rows rejected when the catalogue was read (never searched, in no run)."""
    gone: int = 0
    """Rows the catalogue no longer has (not in the counts above; kept: paid for)."""
    failed_by_class: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        """Rows searched: `ok` + `no_match`."""
        return self.ok + self.no_match

    @classmethod
    def of(cls, counts: RunCounts) -> Counts:
        return cls(
            rows=counts.total,
            ok=counts.done - counts.no_match,
            no_match=counts.no_match,
            failed=counts.failed,
            pending=counts.pending,
            items=counts.items,
            shared=counts.shared,
            partial=counts.partial,
            rejected=counts.rejected,
            gone=counts.gone,
            failed_by_class=dict(counts.failed_by_class),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ok": self.ok,
            "no_match": self.no_match,
            "failed": self.failed,
            "pending": self.pending,
            "items": self.items,
            "shared": self.shared,
            "partial": self.partial,
            "rejected": self.rejected,
            "gone": self.gone,
        }


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The end of `run_catalogue`: the database's counts, this run's figures, its outcome.

    `done`, `failed`, `pending`, `ok`, `no_match` count the whole database after the run
    (what is left to do); `calls`, `done_now`, `failed_now` are this run's. `run_id` is
    None when there was nothing to search (no run was started, nothing paid).
    """

    db: Path
    outcome: Outcome
    counts: Counts
    run_id: int | None = None
    message: str | None = None
    """Why the run stopped before its end (None when it did not)."""
    calls: int = 0
    """Paid calls this run made (conversions and pages)."""
    done_now: int = 0
    """Rows this run searched (done)."""
    failed_now: int = 0
    """Rows this run marked failed."""
    errors_now: dict[str, int] = field(default_factory=dict)
    """Of those, how many by error class (e.g. {"APIStatusError": 2})."""
    shared_now: int = 0
    """Rows this run served from another row's search (same image URL): no call of theirs."""
    left_pending: int = 0
    """Rows left pending because their call got no answer, or none that could be used (a
    rerun searches them)."""
    unusable: int = 0
    """Of `left_pending`: rows whose answer could not be used (unreadable, too large, 429
    after the retries)."""
    pending_errors: dict[str, int] = field(default_factory=dict)
    """`left_pending` by the class of the error that left the rows pending."""
    repeats_stopped: int = 0
    """Images whose paging stopped at a page that brought no new offer (the API
    repeating the offers already stored): no further page paid for."""
    refused_503: int = 0
    elapsed: float = 0.0
    rate: float = 0.0
    """Images finished per second, this run."""
    catalogue_error: str | None = None
    """A catalogue row that could not be read stopped the run (the rows before it are kept)."""

    @property
    def ok(self) -> int:
        return self.counts.ok

    @property
    def no_match(self) -> int:
        return self.counts.no_match

    @property
    def done(self) -> int:
        return self.counts.done

    @property
    def failed(self) -> int:
        return self.counts.failed

    @property
    def pending(self) -> int:
        return self.counts.pending

    @property
    def rows(self) -> int:
        return self.counts.rows

    def raise_for_outcome(self) -> RunSummary:
        """Raise the `RunStoppedError` that matches a run that stopped early; else self.

        As `httpx.Response.raise_for_status`: `run_catalogue(...).raise_for_outcome()`.
        A run that completed with some rows failed (a 422, say) does not raise: see
        `failed_now` and `failed`.
        """
        if self.outcome == "completed" and self.catalogue_error is None:
            return self
        raise _STOPPED.get(self.outcome, InterruptedRunError)(self)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a database, as `read_status` shows it."""

    id: int
    state: str
    """`running` (its process holds the lock now), `done`, `failed` or `interrupted`."""
    outcome: str | None
    started_at: float | None
    finished_at: float | None
    pid: int | None
    host: str | None
    calls: int
    done: int
    failed: int
    shared: int
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "outcome": self.outcome,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "pid": self.pid,
            "host": self.host,
            "calls": self.calls,
            "done": self.done,
            "failed": self.failed,
            "shared": self.shared,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Status:
    """What a results database holds (`read_status`): counts, runs, failed and pending rows.

    `failed_rows` / `pending_rows` list the first `limit` rows of each (all with
    `limit=None`); `counts.failed` / `counts.pending` say how many there are.
    """

    db: Path
    counts: Counts
    runs: list[RunRecord]
    running: str | None
    """Who writes the database now, in a sentence (pid, host, start, the rows still
    pending), or None when no run does."""
    failed_rows: list[InputAccount]
    pending_rows: list[InputAccount]

    @property
    def ok(self) -> int:
        return self.counts.ok

    @property
    def no_match(self) -> int:
        return self.counts.no_match

    @property
    def done(self) -> int:
        return self.counts.done

    @property
    def failed(self) -> int:
        return self.counts.failed

    @property
    def pending(self) -> int:
        return self.counts.pending

    @property
    def calls(self) -> int:
        """Paid calls of every run."""
        return sum(run.calls for run in self.runs)

    @property
    def outcome(self) -> str | None:
        """The last run's state (`running`, `done`, `failed`, `interrupted`); None: no run."""
        return self.runs[-1].state if self.runs else None
