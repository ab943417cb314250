"""`tmapi-search drift`: what the API's answers did that `openapi.yaml` does not say.

A thin view of `tmapi_search.bulk.read_drift`: the drift recorded by the bulk runs of a
results database (path, kind, count, first and last seen, an example), as a table or
JSON. Exits 1 when there is drift, 0 when there is none. Read-only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tmapi_search.cli.console import die, engine_errors, print_whole, stdout, when
from tmapi_search.cli.exit_codes import ENGINE, EXIT_DRIFT, EXIT_OK, EXIT_USAGE, epilog
from tmapi_search.cli.options import get_config


def drift(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk`.")],
    fmt: Annotated[
        str, typer.Option("--format", help="table (default) or json.", case_sensitive=False)
    ] = "table",
) -> None:
    """Contract drift seen by bulk runs (exit 1 when there is some, 0 when none)."""
    from tmapi_search.bulk import read_drift

    config = get_config(ctx)
    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        die(config, EXIT_USAGE, f"--format: must be table or json, got {fmt!r}")
    with engine_errors(config):
        found = read_drift(db)
    if fmt == "json":
        stdout.print_json(json.dumps([entry.to_dict() for entry in found], ensure_ascii=False))
    elif not found:
        stdout.print(f"no drift: every answer recorded in {db} matched openapi.yaml")
    else:
        table = Table(title=f"contract drift in {db}", title_justify="left")
        for column in ("path", "kind", "count", "expected", "example", "first seen", "last seen"):
            table.add_column(column, overflow="fold")
        for entry in found:
            table.add_row(
                escape(entry.path),
                entry.kind,
                str(entry.count),
                escape(entry.expected),
                escape(entry.example),
                when(entry.first_seen),
                when(entry.last_seen),
            )
        print_whole(stdout, table)
        stdout.print(
            f"{len(found)} path(s) drift from openapi.yaml "
            "(docs/contract.md: from drift to a new contract)"
        )
    raise typer.Exit(EXIT_DRIFT if found else EXIT_OK)


COMMANDS = [(drift, epilog(EXIT_DRIFT, *ENGINE))]
