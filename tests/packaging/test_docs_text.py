"""User-facing text is a reference, not a diary.

The README stays short (the rest lives in the docs site), and no page, `--help` text,
`make help` line or benchmark output speaks of issue numbers, work rounds, commit
hashes or before/after comparisons: the history belongs in git and docs/changelog.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tmapi_search.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 300

# A diary word: what only makes sense to someone who followed the work.
DIARY = [
    (re.compile(r"\bissues? #?\d+", re.IGNORECASE), "an issue number"),
    (re.compile(r"\b(this|last|next|previous|earlier|later|same) rounds?\b", re.I), "a round"),
    (re.compile(r"\bround \d+\b", re.IGNORECASE), "a round"),
    (re.compile(r"\bbefore (issue|this change|streaming)\b", re.IGNORECASE), "before/after"),
    (re.compile(r"\bbefore -> after\b|\bbefore \(main\)|\bmain's code\b", re.I), "before/after"),
    (re.compile(r"\bused to (be|come|take|make)\b", re.IGNORECASE), "before/after"),
    (re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b"), "a commit hash"),
]
# The changelog is where history belongs.
PAGES = [ROOT / "README.md"] + [
    p for p in sorted((ROOT / "docs").rglob("*.md")) if p.name != "changelog.md"
]


def diary_words(text: str) -> list[str]:
    found = []
    for pattern, what in DIARY:
        found += [f"{what}: {m.group(0)!r}" for m in pattern.finditer(text)]
    return found


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES


def test_the_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:2000]
    assert "make demo" in head
    assert "make test" in head


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_no_diary_in_the_docs(page: Path) -> None:
    assert diary_words(page.read_text(encoding="utf-8")) == []


def _help_texts() -> list[tuple[str, str]]:
    runner = CliRunner()
    names = [
        info.name or info.callback.__name__.replace("_", "-")
        for info in app.registered_commands
        if info.callback is not None
    ]
    texts = [("--help", runner.invoke(app, ["--help"]).output)]
    texts += [(f"{name} --help", runner.invoke(app, [name, "--help"]).output) for name in names]
    return texts


def test_no_diary_in_the_help() -> None:
    texts = _help_texts()
    assert len(texts) >= 7
    assert {what: diary_words(text) for what, text in texts if diary_words(text)} == {}


def test_no_diary_in_make_help_or_the_benchmarks() -> None:
    """`make help`'s lines and every string a benchmark can print (its source)."""
    found = {}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found["Makefile"] = diary_words(makefile)
    for script in sorted((ROOT / "bench").glob("*.py")):
        found[script.name] = diary_words(script.read_text(encoding="utf-8"))
    assert {name: words for name, words in found.items() if words} == {}


def test_the_patterns_catch_a_diary() -> None:
    diary = (
        "issue 14's table; this round; before issue 14; 50 ms, measured at c0f37a4; "
        "Señal used to come out wrong"
    )
    assert len(diary_words(diary)) == 6
    reference = "+1 per round trip; 15 rounds of 200 calls; item 865835426638; cafe; deadbeef"
    assert diary_words(reference) == []
