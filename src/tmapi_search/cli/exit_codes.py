"""The CLI's exit codes: one table, shown in `--help`, the docs (docs/cli.md) and checked by tests.

Each command's `--help` lists only the codes that command can return: declare them with
`epilog(...)` where the command is registered, e.g. ``@app.command(epilog=epilog(*API_CALL))``.
Every command can end with `ALWAYS` (success, a usage error, Ctrl-C), so `epilog()` adds
them. `tests/cli/test_exit_codes.py` reads each command's code (and the helpers it calls)
and fails when it can return a code its epilog does not list, or lists one it cannot
return. A new code goes into `EXIT_CODES` (and the table of docs/cli.md).
"""

from __future__ import annotations

__all__ = [
    "ALWAYS",
    "API_CALL",
    "ENGINE",
    "EPILOG",
    "EXIT_CODES",
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_STORAGE",
    "epilog",
]

EXIT_OK, EXIT_USAGE, EXIT_BILLING, EXIT_API, EXIT_NETWORK, EXIT_INTERRUPTED = 0, 2, 3, 4, 5, 130
EXIT_STORAGE = 6
EXIT_DRIFT = 1
EXIT_ERROR = 7
#: `bulk --max-calls N`: N paid calls made, the run stopped cleanly (everything saved);
#: the same command resumes
EXIT_BUDGET = 8
EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_DRIFT: "drift found: answers strayed from openapi.yaml (`drift` command only)",
    EXIT_USAGE: "usage or bad input",
    EXIT_BILLING: "billing or auth (439: subscription expired or no balance; 401: token refused)",
    EXIT_API: "other API error",
    EXIT_NETWORK: "network or timeout after retries",
    EXIT_STORAGE: "storage: a file cannot be written or read (disk full, read only media, locked)",
    EXIT_ERROR: "unexpected error (a bug, or an answer nothing foresaw); bulk: the run stopped, "
    "rows left pending",
    EXIT_BUDGET: "--max-calls reached: the run stopped cleanly, run it again to go on",
    EXIT_INTERRUPTED: "interrupted",
}

#: Any command: done, a usage error (click's own or a bad value), Ctrl-C / SIGTERM.
ALWAYS = (EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED)
#: What `cli.console.api_errors()` turns a failed API call (or an unexpected error) into.
API_CALL = (EXIT_BILLING, EXIT_API, EXIT_NETWORK, EXIT_ERROR)
#: What `cli.console.engine_errors()` turns the engine's errors into (`UsageError`,
#: `StorageError`).
ENGINE = (EXIT_USAGE, EXIT_STORAGE)


def epilog(*codes: int) -> str:
    """`--help`'s last paragraph: the exit codes a command can return (with `ALWAYS`)."""
    unknown = sorted(set(codes) - set(EXIT_CODES))
    if unknown:
        raise ValueError(f"exit code(s) {unknown} missing from EXIT_CODES")
    chosen = sorted(set(ALWAYS) | set(codes))
    return "Exit codes: " + "; ".join(f"{code} {EXIT_CODES[code]}" for code in chosen) + "."


#: The application's own `--help`: every code.
EPILOG = epilog(*EXIT_CODES)
