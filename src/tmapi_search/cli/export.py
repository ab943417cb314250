"""`tmapi-search export`: the stored results as CSV, JSONL or XLSX, every input row accounted for.

Calls `tmapi_search.bulk.export_results`: the database is opened read-only (never
changed, works on read-only media); `--out` is written atomically (temporary file +
rename), never over the database or any SQLite file, and never over an existing file
without `--force`; `--out -` (or no `--out`) writes to standard output. Every OS error
is one line naming the path (exit 6).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tmapi_search.bulk.shortlist import SHORTLIST
from tmapi_search.cli.console import die, engine_errors, stderr
from tmapi_search.cli.exit_codes import ENGINE, EXIT_USAGE, epilog
from tmapi_search.cli.options import ExportFormat, get_config
from tmapi_search.cli.terms import (
    CurrencyOpt,
    QtyColumnOpt,
    QtyOpt,
    RateOpt,
    SellPriceColumnOpt,
    ShortlistOpt,
    make_terms,
)


def export(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk`.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            help="Output format (default: from --out's extension, .csv .tsv .jsonl .xlsx; "
            "csv on standard output).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Output file; '-' or none: standard output."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out if it exists (never a SQLite file).")
    ] = False,
    include_gone: Annotated[
        bool,
        typer.Option(
            "--include-gone",
            help="Also write the rows the catalogue no longer has (status gone).",
        ),
    ] = False,
    bom: Annotated[
        bool | None,
        typer.Option(
            "--bom/--no-bom",
            show_default=False,
            help="Start CSV with a UTF-8 byte-order mark, so Excel reads it as UTF-8 "
            "(default: yes with --out, no on standard output).",
        ),
    ] = None,
    all_columns: Annotated[
        bool,
        typer.Option(
            "--all-columns",
            help="xlsx: every field (items and inputs sheets) instead of the Decisions and "
            "Suppliers sheets.",
        ),
    ] = False,
    qty: QtyOpt = None,
    qty_column: QtyColumnOpt = None,
    currency: CurrencyOpt = None,
    rate: RateOpt = None,
    sell_price_column: SellPriceColumnOpt = None,
    shortlist: ShortlistOpt = SHORTLIST,
) -> None:
    """Write every input row: one row per item found, one per row without (with its status)."""
    from tmapi_search.bulk import export_results
    from tmapi_search.bulk.export import format_for

    config = get_config(ctx)
    target = None if out in (None, "-") else Path(str(out))
    if target is None:  # a file's format is its extension's (checked by export_results)
        fmt = ExportFormat(format_for(None, None if fmt is None else fmt.value))
    if target is None and fmt is ExportFormat.xlsx and sys.stdout.isatty():
        die(config, EXIT_USAGE, "--format xlsx writes a workbook: give --out FILE.xlsx")

    def said(summary: Any) -> None:
        if summary.running:
            stderr.print(summary.running, style="yellow", markup=False)

    with engine_errors(config):
        terms = make_terms(qty, qty_column, currency, rate, sell_price_column)
        if target is not None:
            summary = export_results(
                db,
                target,
                format=None if fmt is None else fmt.value,
                force=force,
                bom=bom,
                handle_signals=True,
                include_gone=include_gone,
                terms=terms,
                shortlist=shortlist,
                all_columns=all_columns,
            )
            said(summary)
            stderr.print(f"wrote {summary.describe()} to {target}", markup=False)
            return
        try:
            # UTF-8 bytes (or a workbook) whatever the terminal's or the locale's encoding
            sys.stdout.flush()
            summary = export_results(
                db,
                sys.stdout.buffer,
                format=None if fmt is None else fmt.value,
                bom=bool(bom),
                handle_signals=True,
                include_gone=include_gone,
                terms=terms,
                shortlist=shortlist,
                all_columns=all_columns,
            )
        except BrokenPipeError:  # `| head`: the reader has what it wanted
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        said(summary)
        stderr.print(summary.describe(), markup=False)


COMMANDS = [(export, epilog(*ENGINE))]
