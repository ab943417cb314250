"""`tmapi-search suppliers`: the shops of a results database, those covering most inputs first.

Calls `tmapi_search.bulk.export_suppliers` (a file or standard output) or
`list_suppliers` (the table). Read-only on the database.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tmapi_search.cli.console import die, engine_errors, print_whole, stderr, stdout
from tmapi_search.cli.exit_codes import ENGINE, EXIT_USAGE, epilog
from tmapi_search.cli.options import get_config
from tmapi_search.cli.terms import (
    CurrencyOpt,
    QtyColumnOpt,
    QtyOpt,
    RateOpt,
    SellPriceColumnOpt,
    make_terms,
)

if TYPE_CHECKING:
    from tmapi_search.bulk.suppliers import Supplier


def suppliers(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk` (read only).")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table, csv, json or xlsx (default: from --out's extension; without --out, "
            "table).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Output file; '-' or none: standard output.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            show_default=False,
            help="Count only matches ranked within the first N of their input (default: all).",
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="Shops shown in the table (0: all)."),
    ] = 30,
    qty: QtyOpt = None,
    qty_column: QtyColumnOpt = None,
    currency: CurrencyOpt = None,
    rate: RateOpt = None,
    sell_price_column: SellPriceColumnOpt = None,
) -> None:
    """List the suppliers: one row per shop, with the inputs it matched and its prices."""
    from tmapi_search.bulk.suppliers import SUPPLIER_FORMATS, export_suppliers, list_suppliers

    config = get_config(ctx)
    target = None if out in (None, "-") else Path(str(out))
    if fmt is None:  # a file: the format its name says (the engine checks it); else a table
        fmt = "table" if out is None else None
    else:
        fmt = fmt.lower()
        if fmt not in ("table", *SUPPLIER_FORMATS):
            die(config, EXIT_USAGE, f"--format: table, csv, json or xlsx, got {fmt!r}")
    if fmt == "table" and target is not None:
        die(config, EXIT_USAGE, "--format table prints to the terminal: --format csv/json/xlsx")
    if fmt == "xlsx" and target is None and sys.stdout.isatty():
        die(config, EXIT_USAGE, "--format xlsx writes a workbook: give --out FILE.xlsx")
    with engine_errors(config):
        terms = make_terms(qty, qty_column, currency, rate, sell_price_column)
        if fmt == "table":
            found = list_suppliers(db, terms, top=top)
        elif target is None:
            sys.stdout.flush()
            found = export_suppliers(db, sys.stdout.buffer, format=fmt, terms=terms, top=top)
            sys.stdout.buffer.flush()
        else:
            found = export_suppliers(db, target, format=fmt, terms=terms, top=top, force=force)
    if target is not None:
        stderr.print(f"wrote {len(found)} supplier(s) to {target}", markup=False)
    elif fmt == "table":
        _table(found, terms.code, limit)


def _table(found: Sequence[Supplier], code: str, limit: int) -> None:
    table = Table(title=f"{len(found)} supplier(s), most inputs first")
    table.add_column("#", justify="right")
    table.add_column("Shop", overflow="fold", ratio=3)
    table.add_column("Inputs (SKUs)", overflow="fold", ratio=2)
    table.add_column("Offers", justify="right")
    table.add_column("Best", justify="right")
    table.add_column(f"Price ({code})", overflow="fold")
    table.add_column("Factory / years / repurchase", overflow="fold", ratio=1)
    table.add_column("Location", overflow="fold", ratio=1)
    shown = found if limit == 0 else found[:limit]
    for place, supplier in enumerate(shown, start=1):
        low, high = supplier.price_range()
        price = "-" if low is None else (f"{low}" if low == high else f"{low}-{high}")
        skus = supplier.skus
        names = ", ".join(skus[:6]) + (f" +{len(skus) - 6}" if len(skus) > 6 else "")
        shop = supplier.company_name or supplier.member_id or "?"
        flags = [
            {True: "factory", False: "not a factory", None: "factory ?"}[supplier.is_factory],
            "? y" if supplier.tp_year is None else f"{supplier.tp_year} y",
            supplier.repurchase_rate or "?",
        ]
        table.add_row(
            str(place),
            shop + (f"\n{supplier.shop_url}" if supplier.shop_url else ""),
            f"{supplier.inputs} ({names})",
            str(supplier.offers),
            f"#{supplier.best_rank}",
            price,
            " / ".join(flags),
            supplier.location or "?",
        )
    print_whole(stdout, table)
    if len(shown) < len(found):
        stderr.print(f"... and {len(found) - len(shown)} more (--limit 0 for all)", markup=False)


COMMANDS = [(suppliers, epilog(*ENGINE))]
