"""`make demo`: starts Prism, prints the vendor example's items, stops Prism."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tmapi_search import spec

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_prints_the_vendor_items_and_leaves_no_prism() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.pop("TMAPI_TOKEN", None)  # the demo uses its own demo token
    result = subprocess.run(
        ["make", "--no-print-directory", "demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # the CLI's table (make demo runs examples/cli_demo.sh: search, bulk, export)
    for item in spec.response_example(name="vendor_two_items")["data"]["items"]:
        assert str(item["item_id"]) in result.stdout
        assert item["product_url"] in result.stdout
    assert "page 1: 2 items of 666" in result.stdout
    assert "4 done, 1 failed, 0 pending of 5 images; 8 items stored" in result.stdout
    assert "line 6: blank img_url" in result.stderr
    assert "results.csv: 9 rows" in result.stdout
    # it ends with the HTML report of that bulk run, and prints where it is
    report = re.search(r"^report: (\S+) ", result.stdout, re.M)
    assert report, result.stdout[-500:]
    page = Path(report.group(1)).read_text(encoding="utf-8")
    assert "<!doctype html>" in page
    for item in spec.response_example(name="vendor_two_items")["data"]["items"]:
        assert str(item["item_id"]) in page
    pids = {int(p) for p in re.findall(r"pid (\d+)", result.stderr)}
    assert pids, result.stderr
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), f"Prism {pid} still runs"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except (FileNotFoundError, IndexError):
        return "Z"
