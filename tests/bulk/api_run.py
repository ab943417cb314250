"""`bulk` through the Python API, as a program of its own: what a service would write.

`python tests/bulk/api_run.py [bulk] CATALOGUE --db DB [--max-items-per-image N]
[--concurrency N] [--max-retries N] [--wait] [--retry-failed] [--no-progress]` runs
`tmapi_search.bulk.run_catalogue` (token and base URL from TMAPI_TOKEN /
TMAPI_BASE_URL), prints its events and errors to stderr (`error: ...`) and the
summary to stdout, and exits as the CLI does (0, 2, 3, 4, 5, 6, 130). The paid-work
tests run it where they run `tmapi-search bulk` (`via="api"`).
"""

from __future__ import annotations

import argparse
import sys

from tmapi_search.bulk import StorageError, UsageError, run_catalogue
from tmapi_search.bulk.events import CatalogueOpened, ProgressEvent


def on_progress(event: ProgressEvent) -> None:
    if event.level == "progress" or (isinstance(event, CatalogueOpened) and not event.detected):
        return
    print(event, file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    argv = [arg for arg in argv if arg != "bulk"]
    parser = argparse.ArgumentParser()
    parser.add_argument("catalogue")
    parser.add_argument("--db", required=True)
    parser.add_argument("--max-items-per-image", type=int, default=20)
    parser.add_argument("--concurrency", default="auto")
    parser.add_argument("--max-retries", type=int, default=2)
    parser.add_argument("--wait", action="store_true")
    parser.add_argument("--retry-failed", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    concurrency = args.concurrency if args.concurrency == "auto" else int(args.concurrency)
    try:
        summary = run_catalogue(
            args.catalogue,
            args.db,
            on_progress=on_progress,
            handle_signals=True,
            max_items_per_image=args.max_items_per_image,
            concurrency=concurrency,
            max_retries=args.max_retries,
            wait=args.wait,
            retry_failed=args.retry_failed,
        )
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 6
    counts = summary.counts
    print(
        f"{summary.db}: {counts.done} done, {counts.failed} failed, {counts.pending} pending "
        f"of {counts.rows} images; {counts.items} items stored; this run: {summary.calls} "
        f"calls, {summary.shared_now} row(s) served by a shared search"
    )
    if summary.outcome == "storage":
        print(f"error: {summary.message}", file=sys.stderr)
        return 6
    if summary.message:
        print(summary.message, file=sys.stderr)
    codes = {"billing": 3, "auth": 3, "network": 5, "interrupted": 130}
    if summary.outcome in codes:
        return codes[summary.outcome]
    if summary.catalogue_error:
        return 2
    if summary.errors_now:
        return 5 if set(summary.errors_now) <= {"APIConnectionError", "APITimeoutError"} else 4
    return 5 if summary.left_pending else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
