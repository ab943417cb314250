"""User-facing text is a reference, not a diary.

The README stays short (the rest lives in the docs site), and no page, `--help` text,
`make help` line or benchmark output speaks of issue numbers, work rounds, commit
hashes or before/after comparisons: the history belongs in git and docs/changelog.md.
"""

from __future__ import annotations

import importlib
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


@pytest.mark.parametrize(
    ("package", "page"),
    [
        ("tmapi_search", "sdk.md"),
        ("tmapi_search.bulk", "bulk.md"),
        ("tmapi_search.testing", "testing.md"),
    ],
)
def test_the_api_reference_covers_every_public_name(package: str, page: str) -> None:
    """Each name of `__all__` is rendered: by its own `::: package.name` or its module's."""
    text = (ROOT / "docs" / "reference" / page).read_text(encoding="utf-8")
    rendered = re.findall(r"^::: ([\w.]+)", text, re.MULTILINE)
    if package in rendered:  # the package itself: mkdocstrings renders its `__all__`
        return
    modules = [importlib.import_module(r) for r in rendered if _is_module(r)]
    missing = [
        name
        for name in importlib.import_module(package).__all__
        if f"{package}.{name}" not in rendered and not any(name in vars(m) for m in modules)
    ]
    assert missing == [], f"add `::: {package}.<name>` to docs/reference/{page}"


def _is_module(dotted: str) -> bool:
    try:
        importlib.import_module(dotted)
    except ModuleNotFoundError:
        return False
    return True


def test_no_issue_numbers_or_rounds_in_the_code() -> None:
    """Code says what it does and why, not which ticket or work round asked for it."""
    words = DIARY[:3]  # issue numbers and rounds (hashes: tests hold hex tokens)
    found = {}
    for folder in ("src", "codegen", "bench", "examples", "mock", "tests"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".jinja", ".sh", ".html", ".yaml"}:
                continue
            if path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8")
            hits = [m.group(0) for pattern, _ in words for m in pattern.finditer(text)]
            if hits:
                found[path.relative_to(ROOT).as_posix()] = hits
    assert found == {}
