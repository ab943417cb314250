"""`tmapi-search report`: the stored results as one HTML page to look at (and to mail)."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tmapi_search.bulk.shortlist import SHORTLIST
from tmapi_search.cli.console import engine_errors, stderr, stdout
from tmapi_search.cli.exit_codes import ENGINE, epilog
from tmapi_search.cli.options import get_config
from tmapi_search.cli.terms import (
    CurrencyOpt,
    QtyColumnOpt,
    QtyOpt,
    RateOpt,
    SellPriceColumnOpt,
    ShortlistOpt,
    make_terms,
)


def report(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk` (read only).")],
    out: Annotated[
        Path, typer.Option("--out", help="HTML file to write (one self-contained file).")
    ],
    top: Annotated[
        int,
        typer.Option(
            "--top", min=1, help="Matches shown per input row in API order (and its shortlist)."
        ),
    ] = 5,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    open_it: Annotated[
        bool, typer.Option("--open", help="Open the report in the default browser.")
    ] = False,
    include_gone: Annotated[
        bool,
        typer.Option(
            "--include-gone", help="Also show the rows the catalogue no longer has (marked gone)."
        ),
    ] = False,
    qty: QtyOpt = None,
    qty_column: QtyColumnOpt = None,
    currency: CurrencyOpt = None,
    rate: RateOpt = None,
    sell_price_column: SellPriceColumnOpt = None,
    shortlist: ShortlistOpt = SHORTLIST,
) -> None:
    """Write an HTML report: each input's photo beside the offers found, with filters."""
    from tmapi_search.bulk import write_report

    config = get_config(ctx)
    # a refusal: exit 2; a file that cannot be read or written (held open by another
    # program on Windows, a full disk): exit 6, as for export
    with engine_errors(config):
        terms = make_terms(qty, qty_column, currency, rate, sell_price_column)
        summary = write_report(
            db, out, top=top, force=force, terms=terms, shortlist=shortlist,
            include_gone=include_gone,
        )  # fmt: skip
    counts = summary.by_status
    if summary.running:
        stderr.print(summary.running, style="yellow", markup=False)
    gone = f", {counts['gone']} gone" if counts.get("gone") else ""
    left_out = (
        f" ({summary.gone_left_out} row(s) no longer in the catalogue left out: "
        "--include-gone shows them)"
        if summary.gone_left_out
        else ""
    )
    stderr.print(
        f"{summary.inputs} input(s): {counts.get('ok', 0)} ok, {counts.get('no_match', 0)} no "
        f"match, {counts.get('failed', 0)} failed, {counts.get('pending', 0)} pending{gone}"
        f"{left_out}; {summary.cards} match card(s), {summary.bytes / 1e6:.1f} MB",
        markup=False,
    )
    # the path alone on stdout, so `open "$(tmapi-search report ...)"` works
    stdout.print(escape(str(out)))
    if open_it and not webbrowser.open(out.resolve().as_uri()):
        stderr.print(f"--open: no browser found here; open {escape(str(out))} yourself")


COMMANDS = [(report, epilog(*ENGINE))]
