"""JSON decoding for answers: orjson when it is installed (`tmapi-search[orjson]`), else json.

orjson decodes a 20-item page about 3x faster than `json.loads`. It is an optional
speed-up with the same results: whatever orjson does not accept the way `json` does
(a UTF-16 body, NaN/Infinity, lone surrogates) makes it raise, and the body is then
decoded again by `json.loads`, which accepts or rejects it exactly as without orjson.
One difference is left, outside the contract: an integer beyond 64 bits (the
contract's are int64 at most) becomes a float with orjson, an int with json; checking
for it would cost more than orjson saves. tests/unit/test_json_backend.py parses every
spec example both ways.

`checked_loads` is what the client reads answers with: the same decoding, but JSON
that no strict parser accepts is refused with a `JSONRejected` naming where it is:
`NaN`, `Infinity`, a number too large for a double, and nesting deeper than the
decoder goes (orjson: 1024 levels; json: the interpreter's recursion limit) -- never a
raw `RecursionError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "MAX_DEPTH", "JSONRejected", "checked_loads", "loads"]

#: Nesting depth reported as too deep (orjson's own limit; json stops near 1000).
MAX_DEPTH = 1024


def _json_loads(data: bytes) -> Any:
    return json.loads(data)


def _make_loads() -> tuple[str, Callable[[bytes], Any]]:
    try:
        import orjson  # optional dependency
    except ImportError:
        return "json", _json_loads
    fast = orjson.loads
    error = orjson.JSONDecodeError

    def loads(data: bytes) -> Any:
        try:
            return fast(data)
        except error:  # not exactly what orjson accepts: json decides, as without orjson
            return json.loads(data)

    return "orjson", loads


BACKEND, loads = _make_loads()


class JSONRejected(ValueError):
    """JSON that a strict parser refuses; `path` says where (`$.data.items[0].item_id`)."""

    def __init__(self, why: str, path: str) -> None:
        super().__init__(f"{why} at {path}")
        self.why = why
        self.path = path


class _Constant(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


def _checked_float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise _Constant(text)
    return value


def _strict_json_loads(data: bytes) -> Any:
    return json.loads(data, parse_constant=_refuse_constant, parse_float=_checked_float)


def _make_checked_loads() -> Callable[[bytes], Any]:
    try:
        import orjson  # optional dependency
    except ImportError:
        fast = None
        error: type[Exception] = ValueError
    else:
        fast = orjson.loads
        error = orjson.JSONDecodeError

    def checked_loads(data: bytes) -> Any:
        if fast is not None:
            try:
                return fast(data)
            except error:
                pass  # not exactly what orjson accepts: json decides, as without orjson
        try:
            return _strict_json_loads(data)
        except _Constant as exc:
            why = f"invalid number {exc.args[0]}"
        except RecursionError:
            why = "nested too deep"
        raise JSONRejected(why, _locate(data))

    return checked_loads


checked_loads = _make_checked_loads()

_NUMBER = re.compile(rb"-?(?:NaN|Infinity|[0-9][0-9.eE+-]*)")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _locate(data: bytes) -> str:
    """Where a strict parser gives up: the path of the first NaN/Infinity/overflowing
    number, or of the point nested deepest (first reached). Only run on a refusal."""
    text = data.decode("utf-8", errors="replace").encode("utf-8")
    stack: list[list[Any]] = []  # [kind, key or index]
    deepest: tuple[int, str] = (0, "$")
    position, size = 0, len(text)
    expect_key = False
    while position < size:
        byte = text[position : position + 1]
        if byte in b" \t\r\n,:":
            if byte == b"," and stack:
                if stack[-1][0] == "list":
                    stack[-1][1] += 1
                else:
                    expect_key = True
            position += 1
            continue
        if byte in b"[{":
            stack.append(["list", 0] if byte == b"[" else ["dict", None])
            expect_key = byte == b"{"
            if len(stack) > deepest[0]:
                deepest = (len(stack), _path(stack[:-1]))
            if len(stack) > MAX_DEPTH:
                return deepest[1]
            position += 1
            continue
        if byte in b"]}":
            if stack:
                stack.pop()
            position += 1
            continue
        if byte == b'"':
            match = _STRING.match(text, position)
            if match is None:
                break
            if expect_key and stack and stack[-1][0] == "dict":
                try:
                    stack[-1][1] = json.loads(match.group())
                except ValueError:
                    stack[-1][1] = "?"
                expect_key = False
            position = match.end()
            continue
        match = _NUMBER.match(text, position)
        if match is not None:
            token = match.group()
            if b"NaN" in token or b"Infinity" in token:
                return _path(stack)
            try:
                if math.isinf(float(token)):
                    return _path(stack)
            except ValueError:
                pass
            position = match.end()
            continue
        position += 1  # true, false, null: one letter at a time
    return deepest[1]


def _path(stack: list[list[Any]]) -> str:
    """The location of the value at the top of `stack` (each container's key/index)."""
    parts = [f"[{key}]" if kind == "list" else f".{key}" for kind, key in stack]
    if len(parts) > 12:  # a path 1024 levels deep, shortened
        parts = [*parts[:6], f"...({len(parts) - 9} more levels)...", *parts[-3:]]
    return "$" + "".join(parts)
