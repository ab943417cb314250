"""Whether a `bulk` run is writing a results database now, in words for a reader of it.

`export`, `report` and `status` read a database that a run may still be filling: what
they show is what was saved so far. `writing_now` says so (which process, how many rows
are still pending), so that nobody mistakes a snapshot for the finished result.
"""

from __future__ import annotations

from pathlib import Path

from tmapi_search.bulk.lock import live_holder
from tmapi_search.bulk.store import Store

__all__ = ["writing_now"]


def writing_now(db: str | Path, store: Store) -> str | None:
    """A sentence when a bulk run holds `db`'s lock now (its pid, the rows still pending),
    else None. Reads only."""
    holder = live_holder(db)
    if holder is None:
        return None
    pending = store.counts().pending
    return (
        f"a bulk run is writing {db} now ({holder.describe()}; {pending} row(s) still "
        "pending): this shows what was saved so far"
    )
