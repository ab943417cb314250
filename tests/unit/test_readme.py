"""Every python block of README's "Using the client" section runs against tmapi_mock.

The HTML comment above a block says what the mock answers: `default` (the contract's
first 200 example for each endpoint) or an expression on the fixture, e.g.
`search.error(439)`; and, after `| expect:`, a line the block must print.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tmapi_search.testing import TmapiMock

README = Path(__file__).resolve().parents[2] / "README.md"
TOKEN = "tok-SECRET-4f1c9a7e"
_BLOCK = re.compile(
    r"<!-- mock: (?P<mock>.+?)(?: \| expect: (?P<expect>.+?))? -->\n```python\n(?P<code>.*?)```",
    re.DOTALL,
)


def client_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Using the client")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


BLOCKS = [(m["mock"], m["expect"] or "", m["code"]) for m in _BLOCK.finditer(client_section())]


def test_the_section_has_its_examples() -> None:
    assert len(BLOCKS) >= 7  # sync, async, paging, errors, retries, conversion, logging


@pytest.mark.usefixtures("tmapi_no_backoff")
@pytest.mark.parametrize(
    ("mock", "expect", "code"), BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))]
)
def test_readme_block_runs(
    mock: str,
    expect: str,
    code: str,
    tmapi_mock: TmapiMock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("TMAPI_TOKEN", TOKEN)
    monkeypatch.delenv("TMAPI_BASE_URL", raising=False)
    root_handlers = list(logging.getLogger().handlers)
    if mock != "default":
        eval(f"tmapi_mock.{mock}", {"tmapi_mock": tmapi_mock})
    try:
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    finally:
        logging.getLogger().handlers[:] = root_handlers
    out = capsys.readouterr()
    assert tmapi_mock.call_count >= 1
    assert expect in out.out
    assert TOKEN not in out.out + out.err + caplog.text
