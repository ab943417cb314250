"""Run a catalogue through the engine's Python API, printing progress, then export it.

    TMAPI_TOKEN=... python examples/run_catalogue.py [CATALOGUE] [DB] [OUT.xlsx]

Resumable: run it again and only what is left is searched (every search is billed).
"""

import sys

from tmapi_search.bulk import export_results, run_catalogue
from tmapi_search.bulk.events import ProgressEvent

defaults = ["examples/catalogue.csv", "results.sqlite", "results.xlsx"]
catalogue, db, out = sys.argv[1:4] + defaults[len(sys.argv[1:4]) :]


def show(event: ProgressEvent) -> None:
    if event.level != "progress":  # the live counters come often: print the rest
        print(event)


summary = run_catalogue(catalogue, db, on_progress=show, max_items_per_image=5)
print(f"{summary.outcome}: {summary.ok} ok, {summary.no_match} no match, {summary.failed} failed")
print(f"{summary.pending} pending; {summary.calls} paid calls this run")
written = export_results(db, out, force=True)
print(f"wrote {written.describe()} to {out}")
sys.exit(0 if summary.outcome == "completed" else 1)
