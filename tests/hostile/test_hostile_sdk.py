"""The SDK against a server that misbehaves, in every mode, sync and async.

Each mode runs in a child process (`_child.py`) with a hard address-space limit, so a
client that fails to bound its memory dies alone instead of taking the machine down.
For each mode and each client kind: a typed error (or, for an oversized page, the page
cut to `page_size`) within `timeout + 5` seconds; a peak RSS of at most 300 MiB; the
token in no attribute, chain, or DEBUG log line, in any encoding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tmapi_search._scrub import token_pattern

from .server import MODES, HostileServer

TOKEN = "tok-HOSTILE-9c2e7a1b"
TIMEOUT = 3.0
PEAK_RSS_MIB = 300
CHILD = Path(__file__).with_name("_child.py")

#: mode -> (the class raised, a fragment of its message)
EXPECTED = {
    "endless": ("ResponseTooLargeError", "max_response_bytes=16777216"),
    "gzip_bomb": ("ResponseTooLargeError", "decompressed bytes counted"),
    "huge": ("ResponseTooLargeError", "max_response_bytes"),
    "drip": ("DeadlineExceededError", "within 3 s"),
    "nested": ("MalformedValueError", "nested too deep at $.data[0]"),
    "nan": ("MalformedValueError", "NaN at $.data.items[0].item_id"),
    "bigint": ("MalformedValueError", "at $.data.items[0].item_id"),
    "token_body": ("ParameterError", "refused: ***"),
    "token_location": ("MalformedResponseError", "HTTP 302"),
    "429": ("RateLimitError", "HTTP 429"),
}


def run_child(mode: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    log = tmp_path / "debug.log"
    retries = "1" if mode == "429" else "0"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMAPI_")}
    env["TMAPI_TOKEN"] = TOKEN
    with HostileServer(mode, lifetime=45) as server:
        done = subprocess.run(
            [sys.executable, str(CHILD), server.base_url, mode, str(log), str(TIMEOUT), retries],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    return json.loads(done.stdout), done.stdout + done.stderr + text


@pytest.mark.parametrize("mode", MODES)
def test_mode_is_bounded_typed_and_token_free(mode: str, tmp_path: Path) -> None:
    result, everything = run_child(mode, tmp_path)
    for kind in ("sync", "async"):
        outcome = result[kind]
        assert outcome["elapsed"] <= TIMEOUT + 5, (kind, outcome)
        if mode == "oversized_page":
            assert outcome.get("error") is None, (kind, outcome)
            assert outcome["items"] == 20  # cut to the page_size asked for
            assert outcome["item_id_types"] == ["int"]
            continue
        name, fragment = EXPECTED[mode]
        assert outcome.get("error") == name, (kind, outcome)
        assert "TmapiError" in outcome["mro"]
        assert fragment in outcome["text"], (kind, outcome["text"])
    if mode == "oversized_page":
        assert "held 1000 items for page_size=20: cut to 20" in everything
    if mode == "429":  # retried once, after the server's Retry-After (capped like 503's)
        assert result["sync"]["retry_delays"] == result["async"]["retry_delays"] == [1.0]
    assert not token_pattern(TOKEN).search(everything), f"the token leaked in mode {mode}"
    assert TOKEN not in everything
    if result["peak_rss_mib"] is None:
        pytest.skip("no resource module on this platform: peak RSS not measured")
    assert result["limited"], "the child could not limit its address space"
    assert result["peak_rss_mib"] <= PEAK_RSS_MIB, result["peak_rss_mib"]


def test_the_token_echo_modes_do_echo_it(tmp_path: Path) -> None:
    """The check above can fail: the servers really send the token back."""
    import httpx

    for mode in ("token_body", "token_location"):
        with HostileServer(mode, lifetime=10) as server:
            answer = httpx.get(f"{server.base_url}/1688/global/search/image?apiToken={TOKEN}")
        seen = answer.text + str(answer.headers)
        assert token_pattern(TOKEN).search(seen), mode
        assert TOKEN in json.dumps(answer.json(), ensure_ascii=False) or TOKEN in seen
