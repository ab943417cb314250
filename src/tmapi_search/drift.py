"""Contract drift: what a real answer does that `openapi.yaml` does not say.

The SDK reads answers tolerantly: an undeclared field is kept (in the model's
`additional_properties`), a count sent as a string of digits is read as the integer, a
null object list is kept as None. Each such tolerance is reported as a `DriftEvent`:

- `path`: where, as a JSON path with list indexes folded (`data.items[].video_url`);
- `kind`: `undeclared` (a field the contract does not declare, in an object that is not
  declared open), `type` (a value of another JSON type than declared), `enum` (a value
  outside the documented values of an enum-like field), `null` (null where the contract
  does not allow it), `missing` (a required field absent);
- `expected`: what the contract says there; `example`: the value seen (JSON, long text
  cut); `operation`: the SDK method; `count`: how many times in this answer.

The contract's shape is read from the generated models (`tmapi_client.models`: their
fields and types are `openapi.yaml`'s schemas), once per model, into small tables; an
answer is then checked with dictionary lookups and type tests only (no jsonschema, no
YAML at run time). `find_drift(payload, operation)` is the pure function; the clients
call their `on_drift` hook with each event (default: `DriftLog`, one INFO line per path
and kind per client).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "DRIFT_KINDS",
    "OPEN_OBJECTS",
    "ContractDriftError",
    "DriftEvent",
    "DriftHook",
    "DriftKind",
    "DriftLog",
    "find_drift",
]

DriftKind = Literal["undeclared", "type", "enum", "null", "missing"]
DRIFT_KINDS: tuple[DriftKind, ...] = ("undeclared", "type", "enum", "null", "missing")
EXAMPLE_CHARS: Final = 80

#: The objects `openapi.yaml` declares open (`additionalProperties: true`): keys it does
#: not list are expected there, not drift (tests/unit/test_drift.py checks the list
#: against the spec).
OPEN_OBJECTS: Final = frozenset({"SearchDataFilters", "SearchDataV2Filters"})
#: Enum-like response fields (plain strings in the contract, so that a new value never
#: breaks parsing) and the generated enum holding their documented values.
_ENUM_LIKE: Final = {"sort": "Sort"}
#: The root model of each operation's success answer.
_ROOTS: Final = {
    "search_by_image": "SearchResponse",
    "search_by_image_v2": "SearchResponseV2",
    "convert_image_url": "ConvertImageUrlResponse",
}

_logger = logging.getLogger("tmapi_search.drift")


class ContractDriftError(AssertionError):
    """An answer strays from the contract (raised by the strict test doubles)."""

    def __init__(self, events: list[DriftEvent]) -> None:
        self.events = events
        lines = "; ".join(event.describe() for event in events[:10])
        more = f" (and {len(events) - 10} more)" if len(events) > 10 else ""
        super().__init__(f"the answer drifts from openapi.yaml: {lines}{more}")


@dataclass(frozen=True, slots=True)
class DriftEvent:
    """One way an answer strays from the contract (see the module docstring)."""

    path: str
    kind: DriftKind
    expected: str
    example: str
    operation: str
    count: int = 1

    def describe(self) -> str:
        times = f" ({self.count}x)" if self.count > 1 else ""
        return f"{self.path}: {self.kind}, expected {self.expected}, got {self.example}{times}"


DriftHook = Callable[[DriftEvent], object]


class DriftLog:
    """The default `on_drift` hook: one INFO line on `tmapi_search.drift` per path and kind.

    The same drift repeats on every answer of a bulk run; it is logged once per client.
    """

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, event: DriftEvent) -> None:
        key = (event.operation, event.path, event.kind)
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        _logger.info(
            "contract drift in %s: %s (logged once per path)", event.operation, event.describe()
        )


def example_of(value: Any) -> str:
    """`value` as JSON, cut to EXAMPLE_CHARS characters (with an ellipsis)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 3] + "..."


# -- the contract's tables, from the generated models ----------------------------------
_JSON_TYPES: Final[dict[str, tuple[tuple[type, ...], str]]] = {
    "int": ((int,), "integer"),
    "float": ((int, float), "number"),
    "str": ((str,), "string"),
    "bool": ((bool,), "boolean"),
}


@dataclass(frozen=True, slots=True)
class _Field:
    types: tuple[type, ...] | None  # None: any value (type not documented)
    expected: str
    nullable: bool
    model: _Model | None = None  # a nested object
    item: _Field | None = None  # a list's items
    enum: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class _Model:
    name: str
    fields: dict[str, _Field]
    required: frozenset[str]
    open: bool


def _models() -> Any:
    from tmapi_client import models

    return models


@functools.cache
def _model(name: str) -> _Model:
    import attrs

    cls = getattr(_models(), name)
    fields: dict[str, _Field] = {}
    required: set[str] = set()
    for attribute in attrs.fields(cls):
        if attribute.name == "additional_properties":
            continue
        key = attribute.name.rstrip("_")  # `type_` is the JSON key `type`
        fields[key] = _field(str(attribute.type), enum_name=_ENUM_LIKE.get(key))
        if attribute.default is attrs.NOTHING:
            required.add(key)
    return _Model(name, fields, frozenset(required), name in OPEN_OBJECTS or not fields)


def _field(annotation: str, enum_name: str | None = None) -> _Field:
    parts = [p.strip() for p in annotation.split("|")]
    nullable = "None" in parts
    parts = [p for p in parts if p not in ("None", "Unset")]
    if len(parts) != 1 or parts[0] == "Any":
        return _Field(None, "any value", nullable)
    (part,) = parts
    if part.startswith("list[") and part.endswith("]"):
        item = _field(part[5:-1])
        return _Field((list,), f"array of {item.expected}", nullable, item=item)
    if part in _JSON_TYPES:
        types, expected = _JSON_TYPES[part]
        enum = None
        if enum_name is not None and part == "str":
            enum = frozenset(member.value for member in getattr(_models(), enum_name))
        return _Field(types, expected, nullable, enum=enum)
    if part.startswith("dict["):
        return _Field((dict,), "object", nullable)
    return _Field((dict,), f"object ({part})", nullable, model=_model(part))


# -- the walk ------------------------------------------------------------------------
class _Found:
    """Events of one answer, merged by (path, kind)."""

    __slots__ = ("events", "operation")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.events: dict[tuple[str, str], DriftEvent] = {}

    def add(self, path: str, kind: DriftKind, expected: str, value: Any) -> None:
        key = (path, kind)
        event = self.events.get(key)
        if event is None:
            example = "(absent)" if kind == "missing" else example_of(value)
            self.events[key] = DriftEvent(path, kind, expected, example, self.operation, 1)
        else:
            self.events[key] = DriftEvent(
                path, kind, expected, event.example, self.operation, event.count + 1
            )


def _is_type(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # a JSON boolean is no integer nor number
        return bool in types
    return isinstance(value, types)


def _check_object(found: _Found, model: _Model, value: dict[str, Any], path: str) -> None:
    fields = model.fields
    if model.required and not model.required <= value.keys():
        for key in sorted(model.required - value.keys()):
            found.add(f"{path}.{key}", "missing", fields[key].expected, None)
    for key, child in value.items():
        field = fields.get(key)
        if field is None:
            if not model.open:
                found.add(f"{path}.{key}", "undeclared", "not declared", child)
            continue
        _check_value(found, field, child, f"{path}.{key}")


def _check_value(found: _Found, field: _Field, value: Any, path: str) -> None:
    if value is None:
        if not field.nullable and field.types is not None:
            found.add(path, "null", f"{field.expected} (not null)", None)
        return
    types = field.types
    if types is None:
        return
    if not _is_type(value, types):
        found.add(path, "type", field.expected, value)
        return
    if field.model is not None:
        _check_object(found, field.model, value, path)
    elif field.item is not None:
        item = field.item
        for element in value:
            _check_value(found, item, element, f"{path}[]")
    elif field.enum is not None and value not in field.enum:
        found.add(path, "enum", "one of " + ", ".join(sorted(field.enum)), value)


def find_drift(payload: Any, operation: str) -> list[DriftEvent]:
    """Every way `payload` (a success answer of `operation`) strays from the contract.

    `operation`: `search_by_image`, `search_by_image_v2` or `convert_image_url`. One
    event per path and kind, with its count in this answer. A payload that is not a
    JSON object is one `type` event at `$`.
    """
    root = _ROOTS.get(operation)
    if root is None:
        raise ValueError(f"operation: one of {', '.join(_ROOTS)}, got {operation!r}")
    found = _Found(operation)
    if isinstance(payload, dict):
        _check_object(found, _model(root), payload, "$")
    else:
        found.add("$", "type", "object", payload)
    return [
        DriftEvent(e.path.removeprefix("$."), e.kind, e.expected, e.example, e.operation, e.count)
        for e in found.events.values()
    ]
