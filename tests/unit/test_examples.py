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
