"""What `tmapi-search bulk` prints when a run ends (or, with `--dry-run`, before it would
start), and the exit code of a run: views of the engine's `RunSummary` and `Estimate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from tmapi_search.cli.console import die, engine_errors, redact_for, stderr, stdout
from tmapi_search.cli.exit_codes import (
    EXIT_API,
    EXIT_BILLING,
    EXIT_BUDGET,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
)
from tmapi_search.cli.options import Config

if TYPE_CHECKING:
    from tmapi_search.bulk.summary import RunSummary

__all__ = ["exit_code", "print_estimate", "print_summary", "report_run"]


def print_estimate(
    config: Config, input_path: Path, db: Path, options: dict[str, Any], as_json: bool
) -> None:
    """`--dry-run`: the estimate (`bulk.estimate_catalogue`), nothing sent or written."""
    from tmapi_search.bulk import estimate_catalogue

    with engine_errors(config):
        estimate = estimate_catalogue(input_path, db if db.exists() else None, **options)
    if as_json:
        stdout.print_json(json.dumps(estimate.to_dict()), indent=None)
        return
    stdout.print(
        f"{input_path} against {db} (nothing sent, nothing written):\n{estimate.describe()}",
        markup=False,
    )


def report_run(config: Config, summary: RunSummary) -> int:
    """Print the summary and what stopped the run; the exit code."""
    if summary.outcome == "interrupted" and summary.run_id is None:
        return EXIT_INTERRUPTED  # stopped while reading, before any call: said already
    print_summary(summary)
    if summary.outcome == "storage":
        die(
            config,
            EXIT_STORAGE,
            f"{summary.message} ({summary.calls} paid call(s) this run, {summary.done_now} "
            f"image(s) saved); free space, then run the same command again to resume",
        )
    if summary.message:
        style = "red" if summary.outcome in ("billing", "auth", "network", "error") else "yellow"
        stderr.print(escape(redact_for(summary.message, config)), style=style)
    if summary.outcome == "budget":
        stderr.print(
            f"{summary.pending} image(s) left to search: run the same command again to go on",
            style="yellow",
        )
    if summary.catalogue_error is not None:
        return EXIT_USAGE
    return exit_code(summary)


def exit_code(summary: RunSummary) -> int:
    """The exit code of a run that ended (`errors_now`: the rows it failed, by class)."""
    outcome = summary.outcome
    if outcome in ("billing", "auth"):
        return EXIT_BILLING
    if outcome == "interrupted":
        return EXIT_INTERRUPTED
    if outcome == "network":
        return EXIT_NETWORK
    if outcome == "error":
        return EXIT_ERROR
    if outcome == "budget":
        return EXIT_BUDGET
    if summary.errors_now:
        network = {"APIConnectionError", "APITimeoutError"}
        return EXIT_NETWORK if set(summary.errors_now) <= network else EXIT_API
    if summary.unusable:
        return EXIT_API  # some answers could not be used: those images stay pending
    if summary.left_pending:
        return EXIT_NETWORK  # some calls got no answer: those images stay pending
    return EXIT_OK


def print_summary(summary: RunSummary) -> None:
    counts = summary.counts
    line = (
        f"{summary.db}: {counts.done} done, {counts.failed} failed, {counts.pending} pending "
        f"of {counts.rows} images; {counts.items} items stored"
    )
    if summary.run_id is not None:
        line += (
            f" (this run: {summary.done_now} done, {summary.failed_now} failed in "
            f"{summary.elapsed:.1f} s, {summary.rate:.1f} images/s, {summary.calls} calls, "
            f"{summary.refused_503} refused by 503)"
        )
    stdout.print(line, markup=False)
    if summary.shared_now:
        stdout.print(
            f"{summary.shared_now} row(s) served by a shared search (same image URL as another "
            "row, no call of their own)",
            markup=False,
        )
    if summary.repeats_stopped:
        stdout.print(
            f"{summary.repeats_stopped} image(s): paging stopped at a page that brought no new "
            "offer (the API repeated the offers already stored): no further page paid for",
            markup=False,
        )
    if counts.failed_by_class:
        detail = ", ".join(f"{name} x{n}" for name, n in counts.failed_by_class.items())
        stdout.print(f"failed: {detail}", markup=False)
    if summary.pending_errors:
        detail = ", ".join(f"{name} x{n}" for name, n in summary.pending_errors.items())
        stdout.print(
            f"left pending (no answer, or none that could be used): {detail}; the same "
            "command searches them again",
            markup=False,
        )
