"""`make contract-live`'s drift summary, written from answers (no live call here)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.contract.live_drift import LiveDrift, write_drift_summary
from tmapi_search import spec

TOKEN = "tok-LIVE-SECRET-0a1b2c"


def test_summary_names_the_drift_and_masks_the_token(tmp_path: Path) -> None:
    drift = LiveDrift()
    clean = spec.response_example()
    drifted = spec.response_example()
    drifted["data"]["total_count"] = "666"
    drifted["data"]["items"][0]["video_url"] = f"https://v.example/{TOKEN}.mp4"
    url = f"https://api.tmapi.io{spec.SEARCH_PATH}?apiToken={TOKEN}"
    drift.record(url, 200, json.dumps(clean).encode())
    drift.record(url, 200, json.dumps(drifted).encode())
    drift.record(url, 503, json.dumps(spec.error_example(503)).encode())  # not an answer
    drift.record(url, 200, b"<html>")  # unreadable: schemathesis reports it
    json_path, text_path = write_drift_summary(drift, tmp_path / "live", TOKEN)
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert document["answers_checked"] == 2
    assert {(e["path"], e["kind"]) for e in document["drift"]} == {
        ("data.total_count", "type"),
        ("data.items[].video_url", "undeclared"),
    }
    text = text_path.read_text(encoding="utf-8")
    assert "data.items[].video_url: undeclared" in text
    for path in (json_path, text_path):
        assert TOKEN not in path.read_text(encoding="utf-8")


def test_no_drift_says_so(tmp_path: Path) -> None:
    drift = LiveDrift()
    drift.record(f"https://api.tmapi.io{spec.SEARCH_V2_PATH}", 200, b"{}")
    _, text_path = write_drift_summary(drift, tmp_path, None)
    assert "no drift" in text_path.read_text(encoding="utf-8")
