"""`tmapi-search status`: what a results database holds, and what is left to do.

Counts of the input rows by status, each run with its state (`running` only while its
process lives -- it holds the database's lock -- else `done`, `failed` or
`interrupted`), its paid calls and times, and the failed and pending rows (input line,
sku, error code and message). Read-only: the database is opened `mode=ro`, nothing is
created or changed. `--format json` for scripts.
"""

from __future__ import annotations

import json
import sqlite3
import time
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tmapi_search.cli.app import app, die, get_config, stderr, stdout
from tmapi_search.cli.exit_codes import EXIT_STORAGE, EXIT_USAGE, epilog

#: How a run's stored outcome reads as a state.
_STATES = {
    "completed": "done",
    "interrupted": "interrupted",
    "failed": "failed",
    "network": "failed",
    "billing": "failed",
    "auth": "failed",
}


def run_state(run: dict[str, Any], holder: Any) -> str:
    """`running` only while the run's process holds the lock; a dead one is `interrupted`."""
    outcome = str(run.get("outcome") or "running")
    if outcome == "running":
        live = holder is not None and (
            holder.run_id == run["id"]
            or (holder.pid == run.get("pid") and holder.host == run.get("host"))
        )
        return "running" if live else "interrupted"
    return _STATES.get(outcome, outcome)


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


@app.command(epilog=epilog(EXIT_STORAGE))
def status(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk`.")],
    fmt: Annotated[
        str, typer.Option("--format", help="table (default) or json.", case_sensitive=False)
    ] = "table",
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="Failed/pending rows listed in the table (0: all)."),
    ] = 50,
) -> None:
    """Counts by status, each run's state, and the failed and pending rows (read-only)."""
    from tmapi_search.bulk.activity import writing_now
    from tmapi_search.bulk.lock import live_holder
    from tmapi_search.bulk.store import Store

    config = get_config(ctx)
    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        die(config, EXIT_USAGE, f"--format: must be table or json, got {fmt!r}")
    try:
        store = Store(db, readonly=True)
    except ValueError as error:
        die(config, EXIT_USAGE, str(error))
    except (sqlite3.Error, OSError) as error:
        cause = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        die(config, EXIT_STORAGE, f"--db: cannot read {db}: {cause}")
    try:
        with store:
            holder = live_holder(db)
            note = writing_now(db, store) if holder is not None else None
            runs = store.runs()
            counts = store.counts()
            # the table lists --limit rows of each: only those are read (the counts say
            # how many there are); json lists them all
            shown = limit if limit and fmt == "table" else None
            failed = list(islice(store.account("failed"), shown))
            pending = list(islice(store.account("pending"), shown))
    except sqlite3.Error as error:
        die(config, EXIT_STORAGE, f"--db: cannot read {db}: {error}")
    run_rows = [
        {
            "id": run["id"],
            "state": run_state(run, holder),
            "outcome": run.get("outcome"),
            "started_at": run.get("started_at"),
            "finished_at": run.get("finished_at"),
            "pid": run.get("pid"),
            "host": run.get("host"),
            "calls": run.get("calls", 0),
            "done": run.get("done", 0),
            "failed": run.get("failed", 0),
            "shared": run.get("shared", 0),
            "message": run.get("message"),
        }
        for run in runs
    ]
    summary = {
        "rows": counts.total,
        "ok": counts.done - counts.no_match,
        "no_match": counts.no_match,
        "failed": counts.failed,
        # of `failed`: rows rejected when the catalogue was read (never searched, in no run)
        "rejected": counts.rejected,
        "pending": counts.pending,
        "items": counts.items,
        "shared": counts.shared,
        # rows not finished whose first pages are stored (paid for): resumed after them
        "partial": counts.partial,
        # rows the catalogue no longer has (not in the counts above; kept, paid for)
        "gone": counts.gone,
    }
    if note is not None:
        stderr.print(note, style="yellow", markup=False)
    if fmt == "json":
        document = {
            "db": str(db),
            "counts": summary,
            "running": holder is not None,
            "runs": run_rows,
            "failed": [entry.to_dict() for entry in failed],
            "pending": [entry.to_dict() for entry in pending],
        }
        stdout.print(json.dumps(document, ensure_ascii=False, indent=2), markup=False)
        return
    rejected = (
        f" ({summary['rejected']} of them rejected when the catalogue was read: never "
        "searched, so in no run below)"
        if summary["rejected"]
        else ""
    )
    stdout.print(
        f"{db}: {summary['rows']} input row(s): {summary['ok']} ok, {summary['no_match']} "
        f"no_match, {summary['failed']} failed{rejected}, {summary['pending']} pending; "
        f"{summary['items']} items stored; {summary['shared']} row(s) served by a shared search",
        markup=False,
    )
    if summary["gone"]:
        stdout.print(
            f"{summary['gone']} row(s) no longer in the catalogue (gone): kept with their "
            "results, left out of the counts above, export and report (--include-gone "
            "shows them there)",
            markup=False,
        )
    if summary["partial"]:
        stdout.print(
            f"{summary['partial']} row(s) not finished hold pages already paid for: the next "
            "`bulk` run with the same search options asks only for the pages after them",
            markup=False,
        )
    if run_rows:
        table = Table(title="runs", title_justify="left", show_edge=False)
        for name in ("run", "state", "started", "ended", "calls", "done", "failed", "note"):
            table.add_column(name, overflow="fold")
        for run in run_rows:
            table.add_row(
                str(run["id"]),
                run["state"],
                _when(run["started_at"]),
                _when(run["finished_at"]),
                str(run["calls"]),
                str(run["done"]),
                str(run["failed"]),
                run["message"] or (run["outcome"] if run["state"] == "failed" else ""),
            )
        stdout.print(table)
    for title, entries, total in (
        ("failed", failed, counts.failed),
        ("pending", pending, counts.pending),
    ):
        if not entries:
            continue
        table = Table(title=f"{title} ({total})", title_justify="left", show_edge=False)
        for name in ("line", "sku", "id", "code", "message"):
            table.add_column(name, overflow="fold")
        for entry in entries:
            table.add_row(
                str(entry.line),
                entry.sku or "",
                entry.ext_id or "",
                entry.error_code or "",
                entry.error_message or "",
            )
        stdout.print(table)
        if len(entries) < total:
            stdout.print(
                f"... and {total - len(entries)} more (--limit 0 or --format json)",
                markup=False,
            )
    if not run_rows and not counts.total:
        stderr.print("no run yet")
