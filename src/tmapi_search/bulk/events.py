"""What a catalogue run reports while it works: events, handed to `on_progress`.

`run_catalogue(..., on_progress=handler)` calls `handler(event)` with each of these, in
the run's own thread (keep it quick). Every event is a frozen dataclass; `str(event)`
is one line for people (what the CLI prints), and `event.level` says how loud:
`"info"`, `"warning"` or `"progress"` (frequent: the live counters). A service logs
them; the CLI draws its progress bar from `Reading` and `Searching`.

```python
def on_progress(event):
    if event.level != "progress":
        logger.info("%s", event)
```
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tmapi_search.bulk.ingest import CatalogueChanges
    from tmapi_search.bulk.inputs import BadRow

__all__ = [
    "AlreadyFinished",
    "CatalogueChanged",
    "CatalogueOpened",
    "CatalogueRead",
    "CatalogueUnchanged",
    "DeadRunsMarked",
    "Level",
    "ProgressEvent",
    "ProgressHandler",
    "Reading",
    "ReadingStopped",
    "RowsSkipped",
    "Searching",
    "Stopping",
    "Waiting",
]

Level = Literal["info", "warning", "progress"]


@dataclass(frozen=True, slots=True)
class Waiting:
    """Another run holds the database; this one waits for it (`wait=True`)."""

    db: Path
    holder: str
    level: Level = "warning"

    def __str__(self) -> str:
        return f"waiting: {self.db} is in use by another bulk run ({self.holder})"


@dataclass(frozen=True, slots=True)
class DeadRunsMarked:
    """Runs whose process died (SIGKILL, power cut) were marked `interrupted`."""

    db: Path
    count: int
    level: Level = "warning"

    def __str__(self) -> str:
        return (
            f"{self.db}: {self.count} earlier run(s) ended without finishing (process gone); "
            "marked interrupted, resuming"
        )


@dataclass(frozen=True, slots=True)
class CatalogueOpened:
    """The catalogue's header was read; `detected`: its encoding or delimiter was guessed."""

    path: Path
    read_as: str
    columns: str | None = None
    """The columns taken, when the image column is not called `img_url`:
    "image column: 图片链接, SKU column: 商品编码"."""
    level: Level = "info"

    @property
    def detected(self) -> bool:
        return "detected" in self.read_as

    def __str__(self) -> str:
        change = " (--encoding to change)" if self.detected else ""
        return f"read {self.path} as {self.read_as}{change}"


@dataclass(frozen=True, slots=True)
class CatalogueUnchanged:
    """The catalogue is byte for byte the one read last time: not read again."""

    path: Path
    rows: int
    rejected: int
    duplicates: int
    level: Level = "info"

    def __str__(self) -> str:
        return (
            f"{self.path} is unchanged since it was last read ({self.rows} row(s), "
            f"{self.rejected} rejected, {self.duplicates} duplicate(s)): not read again, "
            "resuming from the database"
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """Rows of the catalogue read and stored so far (`done`: all of them)."""

    rows_read: int
    done: bool
    todo: int
    """Of the rows stored, those to search."""
    level: Level = "progress"

    def __str__(self) -> str:
        return f"read {self.rows_read:,} rows" + ("" if self.done else "...")


@dataclass(frozen=True, slots=True)
class CatalogueRead:
    """The catalogue was read to its end."""

    path: Path
    rows: int
    elapsed: float
    level: Level = "info"

    def __str__(self) -> str:
        return f"read {self.path}: {self.rows} row(s) in {self.elapsed:.1f} s"


@dataclass(frozen=True, slots=True)
class RowsSkipped:
    """Rows skipped (`bad`: stored as failed `InvalidInput` rows) or kept with a warning.

    `bad` and `warnings` hold the first 20 of each; the counts are all of them.
    """

    path: Path
    bad: Sequence[BadRow] = ()
    bad_count: int = 0
    warnings: Sequence[BadRow] = ()
    warning_count: int = 0
    level: Level = "warning"

    def lines(self) -> list[str]:
        """What the CLI prints, a line each."""
        out = [f"warning: {warning}" for warning in self.warnings]
        if self.warning_count > len(self.warnings):
            more = self.warning_count - len(self.warnings)
            out.append(f"warning: ... and {more} more short row(s)")
        if self.bad_count:
            out.append(f"skipped {self.bad_count} bad row(s) of {self.path}:")
            out.extend(f"  {row}" for row in self.bad)
            if self.bad_count > len(self.bad):
                out.append(f"  ... and {self.bad_count - len(self.bad)} more")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True, slots=True)
class CatalogueChanged:
    """The catalogue differs from what the database holds (rows new, edited, gone ...)."""

    path: Path
    changes: CatalogueChanges
    level: Level = "warning"
    #: the catalogue file of the database's last run, when it is another file's name
    previous: str | None = None

    def __str__(self) -> str:
        changes = self.changes
        parts = []
        if changes.new:
            part = f"{changes.new} new row(s), searched"
            if changes.url_changed:
                part += (
                    f" ({changes.url_changed} of them a known sku/id with a new image: the new "
                    "one is searched; the old one's results are kept but no longer shown)"
                )
            parts.append(part)
        if changes.edited:
            parts.append(f"{changes.edited} row(s) with edited columns, updated")
        if changes.gone:
            parts.append(
                f"{changes.gone} row(s) of the database no longer in it (gone: kept with their "
                "results, left out of export, report and status counts; --include-gone shows "
                "them)"
            )
        if changes.new_columns:
            parts.append("new column(s) " + ", ".join(changes.new_columns))
        if changes.dropped_columns:
            parts.append("column(s) no longer in it " + ", ".join(changes.dropped_columns))
        if self.previous is not None:
            head = (
                f"{self.path} is not the catalogue of the last run ({self.previous}): read as "
                "its new version"
            )
        else:
            head = f"{self.path} changed since the last run"
        return f"{head}: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class AlreadyFinished:
    """Rows settled by earlier runs (done, or failed for good): skipped."""

    db: Path
    count: int
    level: Level = "info"

    def __str__(self) -> str:
        return f"resuming {self.db}: {self.count} image(s) already finished, skipped"


@dataclass(frozen=True, slots=True)
class Searching:
    """The live counters of the searches (sent often: on every call that starts or ends)."""

    done: int
    failed: int
    retrying: int
    in_flight: int
    limit: int
    """Calls allowed in flight now (auto concurrency moves it)."""
    total: int
    """Rows handed to the searches so far (grows while the catalogue is read)."""
    calls: int
    """Paid calls of this run so far."""
    rate: float
    """Images finished per second."""
    elapsed: float
    level: Level = "progress"

    def __str__(self) -> str:
        return (
            f"{self.done} done, {self.failed} failed, {self.retrying} retrying, "
            f"{self.in_flight}/{self.limit} in flight, {self.rate:.1f} img/s"
        )


@dataclass(frozen=True, slots=True)
class Stopping:
    """A stop was asked for (a signal): no new call starts, calls in flight may finish."""

    reason: str
    grace: float
    level: Level = "warning"

    def __str__(self) -> str:
        return (
            f"{self.reason}: stopping; calls in flight may finish "
            f"(up to {self.grace:.0f} s; again to stop at once)"
        )


@dataclass(frozen=True, slots=True)
class ReadingStopped:
    """The run stopped before the catalogue was read to its end (what was read is kept)."""

    path: Path
    rows_read: int
    before_any_call: bool = False
    level: Level = "warning"

    def __str__(self) -> str:
        if self.before_any_call:
            return (
                f"interrupted while reading {self.path}: nothing was sent; what was read is "
                "stored, run the same command again to resume"
            )
        return (
            f"stopped while reading {self.path}: {self.rows_read} row(s) read and stored; "
            "the same command reads it again and resumes"
        )


ProgressEvent = (
    Waiting
    | DeadRunsMarked
    | CatalogueOpened
    | CatalogueUnchanged
    | Reading
    | CatalogueRead
    | RowsSkipped
    | CatalogueChanged
    | AlreadyFinished
    | Searching
    | Stopping
    | ReadingStopped
)
ProgressHandler = Callable[[ProgressEvent], object]
