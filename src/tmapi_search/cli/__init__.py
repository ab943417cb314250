"""`tmapi-search`, the command-line tool (install it with `pip install 'tmapi-search[cli]'`).

One module per command group: `search` (search, convert), `bulk`, `export`; `app` holds
the typer application, the global options and the error-to-exit-code mapping;
`output` prints items for people. The catalogue engine the commands drive lives in
`tmapi_search.bulk`; this package only parses options and prints.
"""

from __future__ import annotations

import sys
from typing import Any

from tmapi_search.cli.exit_codes import EXIT_CODES

__all__ = ["EXIT_CODES", "app", "main"]

_MISSING_EXTRA = (
    "tmapi-search: the command-line tool needs its extra: pip install 'tmapi-search[cli]'"
)


def main() -> None:
    """Console-script entry point: one line and exit 2 when the `[cli]` extra is missing."""
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ImportError:
        print(_MISSING_EXTRA, file=sys.stderr)
        sys.exit(2)
    from tmapi_search.cli.app import main as run

    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from tmapi_search.cli.app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
