"""The CSV export's fast path: a compiled cell writer per item layout.

An item's *layout* is the keys of the item and of each non-empty object in it, in order
(what `export._flat` turns into the `item.*` columns), and the type of each value left
(text, integer, number, null, flag, list, empty object). The items of one API nearly
all share a few layouts, so for each layout met, one small function is compiled (its
source built from the layout's keys as `repr` literals: text the data chose is never
run). Given an item, it checks that the item is of its layout and that the generated
model's round trip is an identity on it (what `export._Spec.canonical` checks: each
object's key order is part of the layout, checked when compiling; the elements of a
list of models are checked per item), then writes the item's cells exactly as
`csv.writer` (QUOTE_MINIMAL, ",") writes `export._csv_cell` of each flat value:

- `None`: the item is not of this layout (another one, or a new one, is tried);
- `GENERAL`: of this layout, but needing the general path (a float that may stand for
  an integer beyond 64 bits, see `export._BIG`);
- else the cells, as one text without the line end.

Text cells that need quotes or a formula guard take a per-cell variant of the same
function. Only speed differs from the general path: the output is the same (tested byte
for byte, tests/bulk/test_export_streamed.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final, Literal

from tmapi_search.bulk.rows import FORMULA_PREFIXES, neutralise

if TYPE_CHECKING:
    from tmapi_search.bulk.export import _Spec

__all__ = ["GENERAL", "FlatWriter", "Layout"]

#: layouts kept per key tuple of the item, and key tuples kept: beyond, the general path
_MAX_LAYOUTS = 16
_MAX_KEYS = 10_000
_MAX_LISTS = 4_096  # cells of lists of text kept (see `FlatWriter._json`)
_FORMULA = frozenset(FORMULA_PREFIXES)
_FORMULA_FIRST = re.compile("[" + re.escape("".join(FORMULA_PREFIXES)) + "]")
_BIG = float(2**63)  # as export._BIG: a float this big may be an integer orjson read
_SEP = "\x1f"
#: what json.dumps(..., ensure_ascii=False) escapes in a string
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
GENERAL: Final = False

#: an item's cells, None (not of this layout) or GENERAL (take the general path)
Cells = Callable[[dict[str, Any]], "str | bool | None"]


class Layout:
    """One compiled layout: its cell writer, its flat key names, what the caller notes."""

    __slots__ = ("cells", "dense", "names", "where")

    def __init__(self, cells: Cells, names: tuple[str, ...]) -> None:
        self.cells = cells
        self.names = names
        #: set by the caller: the row indexes of `names`, and whether they are the first
        #: item columns in order (then a row is these cells, padded at the end)
        self.where: list[int] | None = None
        self.dense = False


class FlatWriter:
    """Compiles and keeps the layouts of the items of one export (see the module doc)."""

    def __init__(
        self,
        spec: _Spec,
        encode: Callable[[Any], str],
        inexact: Callable[[Any], bool] = lambda value: False,
    ) -> None:
        """`encode`: json.dumps(value, ensure_ascii=False); `inexact`: whether a list or
        an object read by orjson may hold an integer beyond 64 bits read as a float
        (such an item takes the general path, which reads it again with json)."""
        self._spec = spec
        self._encode = encode
        self._inexact = inexact
        self._layouts: dict[tuple[str, ...], list[Layout]] = {}
        self._lists: dict[tuple[str, ...], str] = {}

    def write(self, data: dict[str, Any]) -> tuple[Layout, str] | Literal[False]:
        """(the item's layout, its cells), or False: take the general path."""
        keys = tuple(data)
        layouts = self._layouts.get(keys)
        if layouts is None:
            if len(self._layouts) >= _MAX_KEYS:
                return False
            layouts = self._layouts[keys] = []
        try:
            for layout in layouts:
                cells = layout.cells(data)
                if cells is not None:
                    return (layout, cells) if type(cells) is str else False
            if len(layouts) >= _MAX_LAYOUTS or not data or not self._spec.canonical(data):
                return False
            new = self._compile(data)
            if new is None:  # pragma: no cover - values JSON does not make
                return False
            layouts.append(new)
            cells = new.cells(data)
        except _Inexact:
            return False
        return (new, cells) if type(cells) is str else False

    def _compile(self, data: dict[str, Any]) -> Layout | None:
        checks: list[str] = []  # the layout's objects and lists of models
        leaves: list[tuple[str, str, type]] = []  # (object, key literal, type of the value)
        names: list[str] = []
        specs: list[Any] = []
        objects = 0

        def walk(obj: dict[str, Any], expr: str, spec: _Spec | None, prefix: str) -> None:
            nonlocal objects
            for key, value in obj.items():
                literal = repr(key)  # a str's repr is a string literal of that str
                nested = spec.nested.get(key) if spec is not None else None
                if type(value) is dict and value:
                    objects += 1
                    var = f"o{objects}"
                    checks.append(f"    {var} = {expr}[{literal}]")
                    keys = repr(tuple(value))
                    checks.append(f"    if type({var}) is not dict or tuple({var}) != {keys}:")
                    checks.append("        return None")
                    inner = nested[0] if nested is not None and not nested[1] else None
                    walk(value, var, inner, f"{prefix}{key}.")
                    continue
                if nested is not None and nested[1]:  # a list of models: its elements
                    specs.append(nested[0])
                    spec_at = f"_specs[{len(specs) - 1}]"
                    checks.append(f"    if not {spec_at}.list_canonical({expr}[{literal}]):")
                    checks.append("        return None")
                leaves.append((expr, key, type(value)))
                names.append(prefix + key)

        walk(data, "d", self._spec, "")
        kinds = tuple(kind for _, _, kind in leaves)
        if not _JSON_TYPES.issuperset(kinds):  # pragma: no cover - not JSON
            return None
        # the values in order, read a run of keys of one object at a time (itemgetter)
        getters: list[Any] = []
        parts: list[str] = []
        start = 0
        while start < len(leaves):
            end = start
            while end < len(leaves) and leaves[end][0] == leaves[start][0]:
                end += 1
            obj, keys = leaves[start][0], [key for _, key, _ in leaves[start:end]]
            if len(keys) == 1:
                parts.append(f"{obj}[{keys[0]!r}],")
            else:
                getters.append(itemgetter(*keys))
                parts.append(f"*_get[{len(getters) - 1}]({obj}),")
            start = end
        names_ = ", ".join(f"a{index}" for index in range(len(leaves)))
        lines = ["def cells(d):", *checks]
        lines.append(f"    v = ({' '.join(parts)})")
        lines.append("    if tuple(map(type, v)) != _kinds:")  # another layout's values
        lines.append("        return None")
        lines.append(f"    {names_}, = v")
        fast: list[str] = []
        careful: list[str] = []
        texts: list[str] = []
        for index, kind in enumerate(kinds):
            value = f"a{index}"
            if kind is str:
                texts.append(value)
                fast.append(f"{{{value}}}")
                careful.append(f"{{_text({value})}}")
                continue
            if kind is int:
                cell = f"{{{value}}}"  # str(int), as csv.writer writes it
            elif kind is float:
                lines.append(f"    if not -_BIG < {value} < _BIG:")
                lines.append("        return _GENERAL")
                cell = f"{{{value}!r}}"  # csv.writer writes repr(float)
            elif kind is type(None):
                cell = ""
            elif kind is bool:
                cell = f"{{'true' if {value} else 'false'}}"
            else:  # a list, or an empty object (a non-empty one is another layout)
                if kind is dict:
                    lines.append(f"    if {value}:")
                    lines.append("        return None")
                cell = f"{{_json({value})}}"
            fast.append(cell)
            careful.append(cell)
        if texts:
            # one probe over the text cells: a quote, a comma or a line break anywhere,
            # or a formula prefix first, sends the row to the per-cell variant
            joined = ", ".join(texts)
            lines.append(f"    p = _SEP.join(({joined},))")
            firsts = ", ".join(f"{text}[:1]" for text in texts)
            lines.append(
                "    if '\"' in p or ',' in p or '\\n' in p or '\\r' in p"
                f" or _first(''.join(({firsts},))) is not None:"
            )
            lines.append(f"        return f{','.join(careful)!r}")
        lines.append(f"    return f{','.join(fast)!r}")
        namespace: dict[str, Any] = {
            "_SEP": _SEP,
            "_BIG": _BIG,
            "_GENERAL": GENERAL,
            "_get": getters,
            "_kinds": kinds,
            "_first": _FORMULA_FIRST.search,
            "_json": self._json,
            "_specs": specs,
            "_text": _text,
        }
        source = "\n".join(lines)
        exec(compile(source, "<tmapi_search export layout>", "exec"), namespace)  # noqa: S102
        return Layout(namespace["cells"], tuple(names))

    def _json(self, value: Any) -> str:
        """A list or an object as its cell: JSON text (never formula-like), quoted as needed.

        Lists of text (categories, places, tags) repeat from item to item: their cells
        are kept, by the tuple of their texts (only lists of text are kept, so a tuple
        found is one of texts equal to these: `"1" != 1`).
        """
        if not value:
            return "[]" if type(value) is list else "{}"
        if type(value) is list and type(value[0]) is str:
            key = tuple(value)
            try:
                cell = self._lists.get(key)
                whole = "".join(value) if cell is None else ""
            except TypeError:  # not all text (unhashable, or not joined)
                pass
            else:
                if cell is not None:
                    return cell
                if _ESCAPED.search(whole) is None:  # nothing json.dumps would escape
                    cell = '"[""' + '"", ""'.join(value) + '""]"'
                else:
                    cell = self._quote_json(self._encode(value))
                if len(self._lists) >= _MAX_LISTS:
                    self._lists.clear()
                self._lists[key] = cell
                return cell
        if self._inexact(value):
            raise _Inexact
        return self._quote_json(self._encode(value))

    @staticmethod
    def _quote_json(text: str) -> str:
        if '"' in text or "," in text:  # JSON text has no raw line breaks
            return '"' + text.replace('"', '""') + '"'
        return text


class _Inexact(Exception):
    """A list or an object that may hold an integer orjson read as a float."""


_JSON_TYPES = frozenset({str, int, float, type(None), bool, list, dict})


def _text(value: str) -> str:
    """A text cell as csv.writer writes `export._csv_cell(value)`."""
    if value[:1] in _FORMULA:
        value = neutralise(value)
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value
