"""Contract drift: what a real answer does that `openapi.yaml` does not say.

The SDK reads answers tolerantly: an undeclared field is kept (in the model's
`additional_properties`), a count sent as a string of digits is read as the integer, a
null object list is kept as None. Each such tolerance is reported as a `DriftEvent`:

- `path`: where, as a JSON path with list indexes folded (`data.items[].video_url`);
- `kind`: `undeclared` (a field the contract does not declare, in an object that is not
  declared open), `type` (a value of another JSON type than declared), `enum` (a value
  outside the documented values of an enum-like field), `null` (null where the contract
  does not allow it), `missing` (a required field absent), `size` (a page with more
  items than the `page_size` asked for: the client cuts it to `page_size`);
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
    "DriftSampler",
    "find_drift",
]

DriftKind = Literal["undeclared", "type", "enum", "null", "missing", "size"]
DRIFT_KINDS: tuple[DriftKind, ...] = ("undeclared", "type", "enum", "null", "missing", "size")
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


class DriftSampler:
    """Which answers the clients check in full: every one of the first `first` answers of
    each operation, then one in `every`.

    A full check of a 20-item page costs about what the generated `from_dict` does
    (~0.3 ms of CPU): on every answer it would make the SDK ~1.4x a raw httpx call
    instead of ~1x. Drift in production repeats (every answer of a changed API carries
    it), so a run of thousands of answers still reports each kind of drift, with counts
    taken over the answers checked. `DriftSampler(every=1)` checks every answer.
    """

    __slots__ = ("_answers", "every", "first")

    def __init__(self, first: int = 32, every: int = 16) -> None:
        if first < 0 or every < 1:
            raise ValueError("DriftSampler: first >= 0 and every >= 1")
        self.first = first
        self.every = every
        self._answers: dict[str, int] = {}

    def due(self, operation: str) -> bool:
        """Count one answer of `operation`; True when it is to be checked."""
        n = self._answers.get(operation, 0) + 1
        self._answers[operation] = n
        return n <= self.first or n % self.every == 0


def example_of(value: Any) -> str:
    """`value` as JSON, cut to EXAMPLE_CHARS characters (with an ellipsis)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 3] + "..."


# -- the contract's tables, from the generated models ----------------------------------
# Each object and field is compiled once per place in the answer (its path is part of
# its table), so that checking an answer only looks things up: the path of an event is
# never built unless there is one. A value whose type is one the contract allows costs
# one `type()` and one set lookup. A full check of a 20-item page still costs about as
# much as the generated `from_dict` (~0.3 ms), hence the sampling of `DriftCheck`.
_JSON_TYPES: Final[dict[str, tuple[frozenset[type], str]]] = {
    "int": (frozenset({int}), "integer"),
    "float": (frozenset({int, float}), "number"),
    "str": (frozenset({str}), "string"),
    "bool": (frozenset({bool}), "boolean"),
}
_NONE = type(None)


@dataclass(frozen=True, slots=True)
class _Field:
    path: str
    ok: frozenset[type] | None  # the types allowed (None among them when nullable); None: any
    expected: str
    model: _Model | None = None  # a nested object
    item: _Field | None = None  # a list's items
    enum: frozenset[str] | None = None

    @property
    def expected_enum(self) -> str:
        return "one of " + ", ".join(sorted(self.enum or ()))


@dataclass(frozen=True, slots=True)
class _Model:
    name: str
    path: str
    fields: dict[str, _Field]
    keys: frozenset[str]
    required: frozenset[str]
    open: bool


def _models() -> Any:
    from tmapi_client import models

    return models


@functools.cache
def _model(name: str, path: str) -> _Model:
    import attrs

    cls = getattr(_models(), name)
    fields: dict[str, _Field] = {}
    required: set[str] = set()
    for attribute in attrs.fields(cls):
        if attribute.name == "additional_properties":
            continue
        key = attribute.name.rstrip("_")  # `type_` is the JSON key `type`
        child = f"{path}.{key}" if path else key
        fields[key] = _field(str(attribute.type), child, enum_name=_ENUM_LIKE.get(key))
        if attribute.default is attrs.NOTHING:
            required.add(key)
    return _Model(
        name,
        path,
        fields,
        frozenset(fields),
        frozenset(required),
        name in OPEN_OBJECTS or not fields,
    )


def _field(annotation: str, path: str, enum_name: str | None = None) -> _Field:
    parts = [p.strip() for p in annotation.split("|")]
    nullable = {_NONE} if "None" in parts else set()
    parts = [p for p in parts if p not in ("None", "Unset")]
    if len(parts) != 1 or parts[0] == "Any":
        return _Field(path, None, "any value")
    (part,) = parts
    if part.startswith("list[") and part.endswith("]"):
        item = _field(part[5:-1], f"{path}[]")
        return _Field(path, frozenset({list, *nullable}), f"array of {item.expected}", item=item)
    if part in _JSON_TYPES:
        types, expected = _JSON_TYPES[part]
        enum = None
        if enum_name is not None and part == "str":
            enum = frozenset(member.value for member in getattr(_models(), enum_name))
        return _Field(path, types | nullable, expected, enum=enum)
    if part.startswith("dict["):
        return _Field(path, frozenset({dict, *nullable}), "object")
    return _Field(path, frozenset({dict, *nullable}), f"object ({part})", model=_model(part, path))


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


def _check_object(found: _Found, model: _Model, value: dict[str, Any]) -> None:
    keys = value.keys()
    fields = model.fields
    if not keys >= model.required:
        for key in sorted(model.required - keys):
            found.add(fields[key].path, "missing", fields[key].expected, None)
    if not model.open and not keys <= model.keys:
        prefix = f"{model.path}." if model.path else ""
        for key in keys - model.keys:
            found.add(f"{prefix}{key}", "undeclared", "not declared", value[key])
    get = fields.get
    for key, child in value.items():
        field = get(key)
        if field is None:
            continue
        ok = field.ok
        if ok is None:
            continue
        kind = type(child)
        if kind not in ok:
            _mismatch(found, field, child)
        elif field.model is not None:
            if kind is dict:
                _check_object(found, field.model, child)
        elif field.item is not None:
            if kind is list and child:
                _check_list(found, field.item, child)
        elif field.enum is not None and kind is str and child not in field.enum:
            found.add(field.path, "enum", field.expected_enum, child)


def _check_list(found: _Found, item: _Field, values: list[Any]) -> None:
    ok = item.ok
    if ok is None:
        return
    if item.model is not None:
        for child in values:
            if type(child) is dict:
                _check_object(found, item.model, child)
            elif type(child) not in ok:
                _mismatch(found, item, child)
        return
    if not {type(child) for child in values} <= ok:
        for child in values:
            if type(child) not in ok:
                _mismatch(found, item, child)


def _mismatch(found: _Found, field: _Field, value: Any) -> None:
    if value is None:
        found.add(field.path, "null", f"{field.expected} (not null)", None)
    else:
        found.add(field.path, "type", field.expected, value)


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
    if type(payload) is dict:
        _check_object(found, _model(root, ""), payload)
    else:
        found.add("$", "type", "object", payload)
    return list(found.events.values())
