"""The CLI's exit codes: one table, shown in `--help`, the README and checked by a test."""

from __future__ import annotations

__all__ = ["EPILOG", "EXIT_CODES", "EXIT_STORAGE"]

EXIT_OK, EXIT_USAGE, EXIT_BILLING, EXIT_API, EXIT_NETWORK, EXIT_INTERRUPTED = 0, 2, 3, 4, 5, 130
EXIT_STORAGE = 6
EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_USAGE: "usage or bad input",
    EXIT_BILLING: "billing or auth (439: subscription expired or no balance; token refused)",
    EXIT_API: "other API error",
    EXIT_NETWORK: "network or timeout after retries",
    EXIT_STORAGE: "storage: a file cannot be written or read (disk full, read-only, locked)",
    EXIT_INTERRUPTED: "interrupted",
}
EPILOG = "Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items()) + "."
