"""No token in what sentry-sdk records, across the SDK's whole fault matrix.

sentry-sdk (default options: local variables of every frame, default integrations and
scrubbing) captures each failing call of `tests/unit/sentry_matrix.py`: every documented
error code, a failed conversion, a refused connection, a timeout, a malformed body and a
body of the wrong shape; sync and async (and the bulk runner's two-step call); the token
as a query parameter and as a header; and a bulk run that fails (errors per image, then
its saves fail; through `run_catalogue`, one the API refuses and one it refuses).
The matrix runs in a subprocess of its own: `sentry_sdk.init` patches
the standard library for the whole process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sentry_sdk")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_no_token_in_any_sentry_event() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.sentry_matrix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    by_name = {row["scenario"]: row for row in rows}
    for mode in ("query", "header"):
        for code in (401, 417, 422, 439, 499, 500, 503):
            assert by_name[f"sync {mode} {code}"]["events"] == 1
        for name in ("convert 503", "refused", "timeout", "malformed", "bad shape"):
            assert by_name[f"sync {mode} {name}"]["events"] == 1
        assert by_name[f"async {mode} codes"]["events"] == 14  # 7 codes x (call, two-step)
        assert by_name[f"async {mode} refused+timeout+malformed"]["events"] == 3
        # the run's ERROR line (saving failed; the logging integration) + the caller's error
        assert by_name[f"bulk {mode}"]["events"] >= 2
        assert by_name[f"run_catalogue {mode}"]["events"] == 2  # stopped by 401; refused
    assert all(row["events"] >= row["failed"] for row in rows)
    assert sum(row["events"] for row in rows) >= 60
    assert [row["scenario"] for row in rows if row["tokens"]] == []
