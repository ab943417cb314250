"""Masking the token in whatever form an answer echoes it.

A server (or a proxy) that echoes the token rarely echoes it verbatim: a JSON body
may escape any of its characters (`\\u002d` for `-`), a URL percent-encodes them
(`%2D`), and both may be mixed. `token_pattern(token)` matches the token with each
character in any of those forms (letters and hex digits in either case), so text is
masked before it is kept, and decoded values (`msg`, `body`) are masked after decoding.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MASK", "scrub", "scrub_tree", "token_pattern"]

MASK = "***"


def _char_forms(char: str) -> str:
    forms = [re.escape(char)]
    forms.append("".join(f"%{byte:02x}" for byte in char.encode("utf-8")))
    point = ord(char)
    if point <= 0xFFFF:
        forms.append(rf"\\u{point:04x}")
    return "(?:" + "|".join(forms) + ")"


@functools.lru_cache(maxsize=16)
def token_pattern(token: str) -> re.Pattern[str]:
    """The token, each character literal, percent-encoded or JSON-escaped (any case)."""
    return re.compile("".join(_char_forms(char) for char in token), re.IGNORECASE)


def scrub(text: str, token: Any) -> str:
    """`text` with every form of `token` (a str, or a `Secret`) masked."""
    if not token or not text:
        return text
    return token_pattern(token.reveal() if hasattr(token, "reveal") else token).sub(MASK, text)


def scrub_tree(value: Any, clean: Callable[[str], str]) -> Any:
    """A decoded JSON value with `clean` applied to every string (keys included)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(key)): scrub_tree(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_tree(item, clean) for item in value]
    return value
