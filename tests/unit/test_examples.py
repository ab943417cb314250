"""`examples/search_by_image.py` runs as its docstring says, against a real HTTP server.

(`examples/cli_demo.sh` is what `make demo` runs: tests/mock/test_demo.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tmapi_search import spec
from tmapi_search.testing import local_tmapi_server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "search_by_image.py"
TOKEN = "tok-example-7b3f"


def run_example(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TMAPI_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_search_by_image_example_prints_the_vendor_items() -> None:
    with local_tmapi_server() as server:
        result = run_example(TMAPI_BASE_URL=server.base_url, TMAPI_TOKEN=TOKEN)
        assert server.search_calls == 1
        assert server.tokens_seen == {TOKEN}
    assert result.returncode == 0, result.stderr
    data = spec.response_example()["data"]
    assert f"{len(data['items'])} items of {data['total_count']} found" in result.stdout
    for item in data["items"]:
        assert str(item["item_id"]) in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_search_by_image_example_without_a_token_says_so() -> None:
    result = run_example()
    assert result.returncode == 2
    assert "TMAPI_TOKEN is not set" in result.stderr


RUN_CATALOGUE = EXAMPLE.with_name("run_catalogue.py")


def test_run_catalogue_example_prints_progress_and_writes_a_workbook(tmp_path: Path) -> None:
    import openpyxl

    catalogue = RUN_CATALOGUE.with_name("catalogue.csv")
    db, out = tmp_path / "r.sqlite", tmp_path / "results.xlsx"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TMAPI_")}
    with local_tmapi_server() as server:
        result = subprocess.run(
            [sys.executable, str(RUN_CATALOGUE), str(catalogue), str(db), str(out)],
            env={**clean, "TMAPI_BASE_URL": server.base_url, "TMAPI_TOKEN": TOKEN},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert server.search_calls > 0
    assert result.returncode == 0, result.stderr
    rows = len(catalogue.read_text(encoding="utf-8").splitlines()) - 1
    # the example catalogue's last row has no image: listed as failed (InvalidInput)
    assert f"completed: {rows - 1} ok, 0 no match, 1 failed" in result.stdout
    assert f"read {catalogue}: {rows} row(s)" in result.stdout  # an event, printed
    assert f"to {out}" in result.stdout
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet.max_row > rows  # a header, and a row per item found
    assert TOKEN not in result.stdout + result.stderr
