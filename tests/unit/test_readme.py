"""Every python block of the README runs as written.

The HTML comment above a block says how:
- `<!-- mock: ... -->`: run against tmapi_mock, which answers `default` (the contract's
  first 200 example for each endpoint) or an expression on the fixture, e.g.
  `search.error(439)`;
- `<!-- pytest -->`: the block is a user's test file, run by pytest in a subprocess
  (the fixtures come from our `pytest11` plugin, as for a user);
- `<!-- run -->`: a plain script, run as is in a fresh interpreter.
After `| expect:`, text the block must print. A python block without such a comment
fails the suite.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tmapi_search.testing import TmapiMock

README = Path(__file__).resolve().parents[2] / "README.md"
TOKEN = "tok-SECRET-4f1c9a7e"
_BLOCK = re.compile(
    r"<!-- mock: (?P<mock>.+?)(?: \| expect: (?P<expect>.+?))? -->\n```python\n(?P<code>.*?)```",
    re.DOTALL,
)
_OTHER = re.compile(
    r"<!-- (?P<how>pytest|run)(?: \| expect: (?P<expect>.+?))? -->\n```python\n(?P<code>.*?)```",
    re.DOTALL,
)


def client_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Using the client")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


TEXT = README.read_text(encoding="utf-8")
BLOCKS = [(m["mock"], m["expect"] or "", m["code"]) for m in _BLOCK.finditer(TEXT)]
OTHERS = [(m["how"], m["expect"] or "", m["code"]) for m in _OTHER.finditer(TEXT)]


def test_the_section_has_its_examples() -> None:
    in_section = list(_BLOCK.finditer(client_section()))
    assert len(in_section) >= 7  # sync, async, paging, errors, retries, conversion, logging


def test_every_python_block_is_run() -> None:
    assert TEXT.count("```python\n") == len(BLOCKS) + len(OTHERS)
    assert {how for how, _, _ in OTHERS} == {"pytest", "run"}


@pytest.mark.parametrize(
    ("how", "expect", "code"), OTHERS, ids=[f"{how}{i}" for i, (how, _, _) in enumerate(OTHERS)]
)
def test_readme_script_or_test_file_runs(how: str, expect: str, code: str, tmp_path: Path) -> None:
    if how == "pytest":
        (tmp_path / "test_readme_block.py").write_text(code, encoding="utf-8")
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    else:
        args = [sys.executable, "-c", code]
    result = subprocess.run(
        args, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert expect in result.stdout


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
