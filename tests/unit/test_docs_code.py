"""Every python block of the README and of the docs site (docs/**/*.md) runs as written.

An HTML comment above a block (invisible on GitHub and on the site) says how:
- `<!-- mock: ... -->`: run in this process against the `tmapi_mock` fixture (also in
  the block's globals as `tmapi_mock`), which answers `default` (the contract's first
  200 example for each endpoint) or after an expression on the fixture, e.g.
  `search.error(439)`; `TMAPI_TOKEN` is set;
- `<!-- pytest -->`: the block is a user's test file, run by pytest in a subprocess
  (the fixtures come from our `pytest11` plugin, as for a user);
- `<!-- run -->`: a plain script, run in a fresh interpreter;
- no comment: a plain script too, with `TMAPI_BASE_URL` pointing at a local TMAPI
  stand-in and `TMAPI_TOKEN` set, so `TmapiClient()` works as it would for a user.
After `| expect:`, text the block must print. Blocks that must not run are fenced as
```text or ```console, never ```python.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tmapi_search.testing import TmapiMock, local_tmapi_server

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
TOKEN = "tok-SECRET-4f1c9a7e"
_BLOCK = re.compile(
    r"(?:<!-- (?P<how>mock|pytest|run)(?::\s*(?P<mock>.+?))?(?: \| expect: (?P<expect>.+?))?"
    r" -->\n)?```python\n(?P<code>.*?)```",
    re.DOTALL,
)


def _blocks() -> list[tuple[str, str, str, str, str]]:
    """(id, how, mock expression, expected output, code) of every python block."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        for m in _BLOCK.finditer(text):
            line = text.count("\n", 0, m.start("code"))
            how = m["how"] or "plain"
            found.append((f"{name}:{line}", how, m["mock"] or "", m["expect"] or "", m["code"]))
    return found


BLOCKS = _blocks()
IN_PROCESS = [b for b in BLOCKS if b[1] == "mock"]
SUBPROCESS = [b for b in BLOCKS if b[1] != "mock"]


def test_every_python_block_is_collected() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(ROOT).as_posix()
        assert text.count("```python\n") == sum(1 for b in BLOCKS if b[0].startswith(name + ":"))
    assert {how for _, how, *_ in BLOCKS} >= {"mock", "pytest", "run"}


def test_the_readme_quick_starts_are_run() -> None:
    readme = [b for b in BLOCKS if b[0].startswith("README.md:")]
    assert [how for _, how, *_ in readme] == ["run", "pytest"]


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    with local_tmapi_server() as server:
        yield server.base_url


@pytest.mark.parametrize(
    ("how", "expect", "code"),
    [b[1:2] + b[3:] for b in SUBPROCESS],
    ids=[b[0] for b in SUBPROCESS],
)
def test_block_runs_as_a_script_or_test_file(
    how: str, expect: str, code: str, tmp_path: Path, stand_in: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMAPI_")}
    if how == "pytest":
        (tmp_path / "test_docs_block.py").write_text(code, encoding="utf-8")
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    else:
        args = [sys.executable, "-c", code]
        if how == "plain":
            env.update(TMAPI_BASE_URL=stand_in, TMAPI_TOKEN=TOKEN)
    result = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert expect in result.stdout
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.usefixtures("tmapi_no_backoff")
@pytest.mark.parametrize(
    ("mock", "expect", "code"), [b[2:] for b in IN_PROCESS], ids=[b[0] for b in IN_PROCESS]
)
def test_block_runs_against_tmapi_mock(
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
    monkeypatch.delenv("TMAPI_AUTH", raising=False)
    root_handlers = list(logging.getLogger().handlers)
    if mock != "default":
        eval(f"tmapi_mock.{mock}", {"tmapi_mock": tmapi_mock})
    try:
        exec(compile(code, "<docs>", "exec"), {"__name__": "docs", "tmapi_mock": tmapi_mock})
    finally:
        logging.getLogger().handlers[:] = root_handlers
    out = capsys.readouterr()
    assert tmapi_mock.call_count >= 1
    assert expect in out.out
    assert TOKEN not in out.out + out.err + caplog.text
