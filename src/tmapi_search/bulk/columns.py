"""Which column of a catalogue holds the image URL, and which the SKU: by the names people use.

A header cell names the image column when it is one of `IMAGE_NAMES`, and the SKU/id
column when it is one of `SKU_NAMES`, compared case-, space- and underscore-insensitively
(`Image URL`, `image_url`, `IMAGE-URL` and `imageurl` are one name; so are `图片 链接`
and `图片链接`). The first alias in the list that the header has wins, so a catalogue
with both `img_url` and `photo` searches `img_url`. `image_column=` / `sku_column=` (the
CLI's `--image-column` / `--sku-column`) name the column instead, compared the same way.

Which numbers a catalogue's columns hold (`NumberColumns`): a column whose every value
is a plain decimal number (`12`, `-3.5`; not `007`, not `1e5`, not 16 digits or more)
is written as numbers in a workbook export, and so is every plain-decimal value of a
column that held number cells in an .xlsx catalogue; SKU/id columns never are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "IMAGE_NAMES",
    "SKU_NAMES",
    "ColumnChoice",
    "NumberColumns",
    "column_key",
    "find_column",
    "is_plain_number",
]

#: Names of the image-URL column, in order of preference.
IMAGE_NAMES = (
    "img_url",
    "image_url",
    "image",
    "image link",
    "photo url",
    "photo",
    "picture",
    "picture url",
    "main image",
    "main image url",
    "img",
    "图片链接",
    "图片地址",
    "图片",
    "主图链接",
    "主图",
    "商品图片",
)
#: Names of the SKU/id column, in order of preference.
SKU_NAMES = ("sku", "item code", "product code", "商品编码", "货号", "编码")
#: The `id` column: a second identifier, kept beside the SKU.
ID_NAMES = ("id",)

_IGNORED = re.compile(r"[\s_\-]+")
#: a plain decimal: no exponent, no leading zero (`0.5` is one, `007` is a code), at
#: most 15 significant digits (what a spreadsheet holds exactly)
_PLAIN_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")
_MAX_DIGITS = 15


def column_key(name: str) -> str:
    """How column names are compared: case, spaces, `_` and `-` do not count."""
    return _IGNORED.sub("", name).casefold()


def find_column(columns: Sequence[str], names: Sequence[str]) -> int | None:
    """The index of the first of `names` (by preference) that `columns` has, or None."""
    keys = {column_key(name): index for index, name in reversed(list(enumerate(columns)))}
    for name in names:
        index = keys.get(column_key(name))
        if index is not None:
            return index
    return None


def is_plain_number(text: str) -> bool:
    """`text` is a plain decimal number a spreadsheet would keep exactly (see above)."""
    text = text.strip()
    return (
        bool(_PLAIN_NUMBER.fullmatch(text)) and sum(char.isdigit() for char in text) <= _MAX_DIGITS
    )


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """The columns of a catalogue taken as the image URL, the SKU and the id."""

    image: int
    sku: int | None = None
    ext_id: int | None = None
    #: the image column was named by the caller (`--image-column`), not recognised
    image_given: bool = False


@dataclass(slots=True)
class NumberColumns:
    """Follows a catalogue's extra columns as it is read: which hold numbers.

    `see(index, text, typed)` for each non-blank cell (`typed`: a number cell of a
    workbook); `names()` once the reading is done.
    """

    columns: Sequence[str]
    #: indexes of columns that are not numbers (SKU/id-like names)
    never: frozenset[int] = frozenset()
    _plain: dict[int, bool] = field(default_factory=dict)
    _typed: set[int] = field(default_factory=set)

    def see(self, index: int, text: str, typed: bool = False) -> None:
        if typed:
            self._typed.add(index)
        if self._plain.get(index, True):
            self._plain[index] = is_plain_number(text)

    def names(self) -> list[str]:
        """The columns written as numbers (every value plain, or number cells seen)."""
        return [
            name
            for index, name in enumerate(self.columns)
            if index not in self.never and (index in self._typed or (self._plain.get(index)))
        ]


def id_like(name: str) -> bool:
    """A column named like a SKU/id (never written as a number)."""
    key = column_key(name)
    return any(key == column_key(alias) for alias in (*SKU_NAMES, *ID_NAMES))
