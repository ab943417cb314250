"""`tmapi-search status`: what a results database holds, and what is left to do.

Counts of the input rows by status, each run with its state (`running` only while its
process lives -- it holds the database's lock -- else `done`, `failed` or
`interrupted`), its paid calls and times, and the failed and pending rows (input line,
sku, error code and message). Read-only (`tmapi_search.bulk.read_status`): nothing is
created or changed. `--format json` for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tmapi_search.cli.console import die, engine_errors, print_whole, stderr, stdout, when
from tmapi_search.cli.exit_codes import ENGINE, EXIT_USAGE, epilog
from tmapi_search.cli.options import get_config


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
    from tmapi_search.bulk import read_status

    config = get_config(ctx)
    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        die(config, EXIT_USAGE, f"--format: must be table or json, got {fmt!r}")
    # the table lists --limit rows of each: only those are read (the counts say how
    # many there are); json lists them all
    with engine_errors(config):
        state = read_status(db, limit=limit if limit and fmt == "table" else None)
    counts = state.counts
    if state.running is not None:
        stderr.print(state.running, style="yellow", markup=False)
    if fmt == "json":
        document = {
            "db": str(db),
            "counts": counts.to_dict(),
            "running": state.running is not None,
            "runs": [run.to_dict() for run in state.runs],
            "failed": [entry.to_dict() for entry in state.failed_rows],
            "pending": [entry.to_dict() for entry in state.pending_rows],
        }
        stdout.print(json.dumps(document, ensure_ascii=False, indent=2), markup=False)
        return
    rejected = (
        f" ({counts.rejected} of them rejected when the catalogue was read: never "
        "searched, so in no run below)"
        if counts.rejected
        else ""
    )
    stdout.print(
        f"{db}: {counts.rows} input row(s): {counts.ok} ok, {counts.no_match} "
        f"no_match, {counts.failed} failed{rejected}, {counts.pending} pending; "
        f"{counts.items} items stored; {counts.shared} row(s) served by a shared search",
        markup=False,
    )
    if counts.gone:
        stdout.print(
            f"{counts.gone} row(s) no longer in the catalogue (gone): kept with their "
            "results, left out of the counts above, export and report (--include-gone "
            "shows them there)",
            markup=False,
        )
    if counts.partial:
        stdout.print(
            f"{counts.partial} row(s) not finished hold pages already paid for: the next "
            "`bulk` run with the same search options asks only for the pages after them",
            markup=False,
        )
    if state.runs:
        table = Table(title="runs", title_justify="left", show_edge=False)
        for name in ("run", "state", "started", "ended", "calls", "done", "failed", "note"):
            table.add_column(name, overflow="fold")
        for run in state.runs:
            table.add_row(
                str(run.id),
                run.state,
                when(run.started_at),
                when(run.finished_at),
                str(run.calls),
                str(run.done),
                str(run.failed),
                run.message or (run.outcome or "" if run.state == "failed" else ""),
            )
        print_whole(stdout, table)
    for title, entries, total in (
        ("failed", state.failed_rows, counts.failed),
        ("pending", state.pending_rows, counts.pending),
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
        print_whole(stdout, table)
        if len(entries) < total:
            stdout.print(
                f"... and {total - len(entries)} more (--limit 0 or --format json)",
                markup=False,
            )
    if not state.runs and not counts.rows:
        stderr.print("no run yet")


COMMANDS = [(status, epilog(*ENGINE))]
