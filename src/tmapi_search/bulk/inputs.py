"""Reading a bulk run's input: a catalogue as people save it, or a text file of URLs.

Accepted files:

- `.xlsx` (Excel, WPS, LibreOffice): the first sheet, or `sheet="NAME"`; the first row
  names the columns; cells are read as their values (a formula as its last computed
  value), numbers written back as text the way the spreadsheet shows them (`12`, not
  `12.0`).
- `.csv`, `.tsv`, `.txt` and any other text file. The encoding is detected (a BOM first,
  then UTF-8, then charset-normalizer, which covers GBK/GB18030, Big5, Shift-JIS, UTF-16
  without a BOM, cp1252 ...); the delimiter is sniffed among `,` `;` tab `|` (the one
  whose header names an image column). `encoding=` and `delimiter=` override both.
  A text file whose first line names no image column (and whose name does not end
  in `.csv`/`.tsv`) is a list of image URLs, one per line.

A catalogue needs an image column: `img_url`, `Image`, `Photo URL`, `图片链接` ... (see
`tmapi_search.bulk.columns`; `image_column=` names it); a SKU column (`sku`, `Item code`,
`商品编码` ..., or `sku_column=`) and an `id` column are optional and identify the row;
every other column is carried along to the database and the export as is. Column names
must be unique (case-insensitive): a repeated name is an error naming it.

A row that cannot be searched (blank, not an http(s) URL nor a converted `/search/...`
path, a local file path, control characters inside) is a `BadRow`: reported with its line
number and skipped. So is a row with more cells than the header (never trimmed: the
cells would be misaligned), while a row with fewer is kept, its missing cells blank, and
reported as a warning. A row repeating an earlier one (same `sku`/`id` and `img_url`) is
a duplicate: reported and skipped, so the same image is never paid for twice in a run.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tmapi_search.bulk.columns import (
    ID_NAMES,
    IMAGE_NAMES,
    SKU_NAMES,
    ColumnChoice,
    NumberColumns,
    find_column,
    id_like,
)
from tmapi_search.bulk.errors import CatalogueError
from tmapi_search.validation import is_converted_path, local_path_problem

__all__ = [
    "DELIMITERS",
    "BadRow",
    "InputError",
    "InputImage",
    "InputRows",
    "InputStream",
    "open_input",
    "parse_delimiter",
    "read_input",
]

IMG_URL = "img_url"
#: The delimiters sniffed in a text catalogue, in order of preference.
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
_TABLE_SUFFIXES = (".csv", ".tsv")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MULTIBYTE = frozenset(
    {
        "gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950", "cp932", "shift_jis",
        "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
        "euc_kr", "cp949", "johab", "utf_16", "utf_16_le", "utf_16_be", "utf_32",
        "utf_32_le", "utf_32_be",
    }
)  # fmt: skip
#: checked with one regex each, not character by character (`\s` is `str.isspace`)
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s")
#: charset-normalizer's "chaos" above which a guess is not trusted.
_MAX_CHAOS = 0.2


class InputError(CatalogueError):
    """The input file cannot be used at all (missing, unreadable, no `img_url` column)."""


@dataclass(frozen=True, slots=True)
class InputImage:
    """One searchable input row."""

    line: int
    img_url: str
    sku: str | None = None
    ext_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity of the row across runs: its sku/id (if any) and its URL."""
        return json.dumps([self.sku or "", self.ext_id or "", self.img_url])

    def db_row(self) -> tuple[str, int, str, str | None, str | None, str]:
        return (
            self.key,
            self.line,
            self.img_url,
            self.sku,
            self.ext_id,
            json.dumps(self.extra, ensure_ascii=False),
        )


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that was skipped (or, as a warning, kept), and why.

    A skipped row keeps its catalogue columns (`sku`, `ext_id`, `extra`) so that `bulk`
    can store it as a failed row of the account (`Store.Ingestion`); a duplicate
    (`duplicate_of` set) is the same row twice and is not stored again.
    """

    line: int
    value: str
    reason: str
    sku: str | None = None
    ext_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    duplicate_of: int | None = None

    def db_row(self) -> tuple[int, str, str | None, str | None, str, str]:
        """(line, img_url, sku, ext_id, extra JSON, reason) for storing it (`Store.Ingestion`)."""
        extra = json.dumps(self.extra, ensure_ascii=False)
        return (self.line, self.value, self.sku, self.ext_id, extra, self.reason)

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"line {self.line}: {self.reason}" + (f" ({shown!r})" if shown else "")


@dataclass(slots=True)
class InputRows:
    images: list[InputImage] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    #: rows kept but worth a word (fewer cells than the header)
    warnings: list[BadRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    #: how the file was read, e.g. "xlsx, sheet 'Sheet1'" or "gb18030 (detected), ';'"
    read_as: str = ""


def url_problem(value: str) -> str | None:
    """Why `value` cannot be searched as an image URL, or None when it can.

    Whitespace inside a URL is fine (it is percent-encoded when sent, as a browser
    does: `validation.encode_image_url`); control characters are not. A local file path
    gets the SDK's message: the API searches by URL, the photo must be hosted first.
    """
    if not value.strip():
        return "blank img_url"
    if _CONTROL.search(value):
        return "img_url contains control characters"
    text = value.strip()
    if is_converted_path(text):  # the SDK's own rule for converted paths
        return "img_url contains whitespace" if _SPACE.search(text) else None
    local = local_path_problem(text)
    if local is not None:
        return local
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "img_url is not an http(s) URL"
    return None


def parse_delimiter(value: str) -> str:
    """`--delimiter`: one character, or a name (`tab`, `comma`, `semicolon`, `pipe`)."""
    names = {name: char for char, name in _DELIMITER_NAMES.items()}
    text = names.get(value.strip().lower(), value)
    if text in ("\\t", "TAB"):
        text = "\t"
    if len(text) != 1 or text in '"\r\n':
        raise InputError(f"--delimiter: one character or tab/comma/semicolon/pipe, got {value!r}")
    return text


# -- text: encoding --------------------------------------------------------------------
#: how much more chaos (charset-normalizer's mess ratio) GB18030 may score than another
#: multi-byte reading and still be taken: three Chinese characters saved by
#: Chinese-locale Excel read as cp949 at 0.0 and as GB18030 at 0.037
_GB18030_MARGIN = 0.05


#: Western European text in cp1252 (Excel's "CSV" in a Western locale): the characters
#: beyond ASCII it is made of. Not the signs a Central European file shows when read
#: as cp1252 (¹ ³ ¾ ¼ ¿ Ÿ for ą ł ľ Ľ ż ź), nor š ž ý (Czech, Slovak).
_WESTERN = frozenset(
    "áàâäãåçéèêëíìîïñóòôöõøúùûüæœß"
    "ÁÀÂÄÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕØÚÙÛÜÆŒ"
    "€£°«»\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u2026"  # quotes, dashes, bullet, ...
)
#: õ and û are also Hungarian's ő and ű read as cp1252: without one of these, a text
#: that has them is not taken as Western
_WESTERN_TELLS = frozenset("çãêèàñÇÃÊÈÀÑ")
#: how much more chaos a Western reading may score than the detector's best one
#: (Portuguese "informações" as cp1252 scores 0.07-0.09, as cp1250 "informaçőes" 0.0)
_WESTERN_MARGIN = 0.1


def _western_reading(data: bytes) -> str | None:
    """The file read as cp1252 when that reading is Western European text, else None.

    Bytes 0xC0-0xFF are letters in every Latin code page, so on a short file
    charset-normalizer cannot tell cp1252 from cp1250 (or cp1257, mac_latin2 ...) and
    picks by language statistics that are noise at that length ("Señal £12 café crème"
    came out "Seńal Ł12 café crčme", Portuguese "informações" "informaçőes"); and a
    few accented letters also pair up as CJK characters ("alça" as GB18030 "al鏰").
    cp1252 is what Excel writes in every Western locale: a reading made only of
    Western letters is taken as such. Central European files keep their code page:
    they have letters Western text does not (tests/bulk/test_catalogue_formats.py).
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    beyond = {char for char in text if ord(char) > 127} - {"\ufeff"}
    if not beyond or not beyond <= _WESTERN:
        return None
    if beyond & set("õûÕÛ") and not beyond & _WESTERN_TELLS:
        return None
    return text.removeprefix("\ufeff")


def _scattered(text: str) -> bool:
    """Every character beyond ASCII stands alone inside a Latin word ("al鏰", "n鉶"):
    accented letters paired up as multi-byte characters, not text in that script."""
    runs = list(re.finditer(r"[^\x00-\x7f]+", text))
    return bool(runs) and all(
        run.end() - run.start() == 1
        and (
            (run.start() > 0 and text[run.start() - 1].isalpha())
            or (run.end() < len(text) and text[run.end()].isascii() and text[run.end()].isalpha())
        )
        for run in runs
    )


def _single_byte(matches: list[Any], best: Any, western: str | None) -> Any:
    """The code page to read a file no multi-byte encoding fits, from the detector's
    `best` and the file's Western reading (`_western_reading`); None: that reading.

    - the Western reading, unless cp1252 scored more than `_WESTERN_MARGIN` more chaos;
    - cp1252 picked, yet it reads as no Western text ("¾ad", "bõr", "£ódŸ"): the Central
      European code page, when it is about as clean;
    - Excel and every Windows program write Windows code pages: one as clean as an old
      Mac or DOS one is taken ("ružový" read as mac_latin2 came out "ruěovż").
    """
    cp1252 = next(
        (m for m in matches if m.encoding == "cp1252" or "cp1252" in m.could_be_from_charset),
        None,
    )
    if best.encoding == "cp1252":
        if western is None:
            central = next((m for m in matches if m.encoding == "cp1250"), None)
            if central is not None and central.chaos <= best.chaos + _WESTERN_MARGIN:
                return central
        return best
    if western is not None and (cp1252 is None or cp1252.chaos <= best.chaos + _WESTERN_MARGIN):
        return None
    if not best.encoding.startswith("cp125"):
        windows = next(
            (m for m in matches if m.encoding.startswith("cp125") and m.chaos <= best.chaos),
            None,
        )
        if windows is not None:
            return windows
    return best


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The file's text and a word on how it was decoded."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"--encoding: unknown encoding {encoding!r}") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"INPUT: {path} is not valid {encoding} (line {line}, byte {exc.start}: "
                f"{exc.reason}); check --encoding"
            ) from None
        return text.removeprefix("\ufeff"), encoding
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name).removeprefix("\ufeff"), f"{name} (BOM)"
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"INPUT: {path} starts with a {name} byte-order mark but is not valid "
                    f"{name} (byte {exc.start}); give the encoding with --encoding"
                ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = f"not UTF-8 (byte {exc.start}: 0x{data[exc.start]:02x})"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    # A multi-byte encoding (GB18030, Big5, Shift-JIS, UTF-16 ...) that decodes the whole
    # file cleanly is strong evidence, where a single-byte code page decodes anything: on a
    # short catalogue charset-normalizer may rank cp1251 above GB18030 by its language
    # statistics, so the cleanest multi-byte candidate wins (tested on charset-normalizer
    # 3.3, the floor, and 3.5).
    multi = [m for m in matches if m.encoding in _MULTIBYTE and m.chaos <= _MAX_CHAOS]
    western = _western_reading(data)
    if multi and western is not None:
        multi = [m for m in multi if not _scattered(str(m))]
    # on a near tie (short files: a few GBK characters also decode cleanly as Big5 or
    # cp949, and score a hair better), GB18030: 1688's own locale
    best = (
        min(
            multi,
            key=lambda m: (
                max(m.chaos - _GB18030_MARGIN, 0.0) if m.encoding == "gb18030" else m.chaos,
                m.encoding != "gb18030",
            ),
        )
        if multi
        else (matches[0] if matches else None)
    )
    if best is not None and not multi:
        best = _single_byte(matches, best, western)
        if best is None and western is not None:
            return western, "cp1252 (detected)"
    if best is None or best.chaos > _MAX_CHAOS:
        guess = "" if best is None else f"; the best guess, {best.encoding}, reads as garbled"
        raise InputError(
            f"INPUT: cannot tell the encoding of {path}: tried a byte-order mark (none), "
            f"UTF-8 ({utf8_error}) and charset detection{guess}. Give it with --encoding "
            "(e.g. --encoding gb18030 for a file saved by Chinese-locale Excel/WPS, "
            "--encoding utf-16, --encoding cp1252)"
        )
    name = best.encoding
    if name in ("gbk", "gb2312"):  # GB18030 is their superset: decodes what they do, and more
        name = "gb18030"
    return str(best).removeprefix("\ufeff"), f"{name} (detected)"


# -- text: delimiter -------------------------------------------------------------------
def _header_cells(first_line: str, delimiter: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([first_line], delimiter=delimiter), [])]


def _sniff_delimiter(first_line: str, image_column: str | None = None) -> str | None:
    """The delimiter whose header names an image column (`image_names`), or None."""
    names = _image_names(image_column)
    for delimiter in DELIMITERS:
        if find_column(_header_cells(first_line, delimiter), names) is not None:
            return delimiter
    return None


def _image_names(image_column: str | None) -> tuple[str, ...]:
    return IMAGE_NAMES if image_column is None else (image_column,)


def _likely_delimiter(first_line: str) -> str:
    """For error messages only: the candidate that splits the header the most."""
    return max(DELIMITERS, key=lambda d: len(_header_cells(first_line, d)))


# -- rows, whatever the file type --------------------------------------------------------
def _columns(path: Path, header: Sequence[str]) -> list[str]:
    """Clean column names; a repeated one (case-insensitive) is an InputError."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(header, start=1):
        name = raw.strip()
        if not name:
            name = f"column_{number}"
        first = seen.get(name.lower())
        if first is not None:
            raise InputError(
                f"INPUT: {path}: column {name!r} appears twice (columns {first} and {number}); "
                "rename one so no value is lost"
            )
        seen[name.lower()] = number
        names.append(name)
    return names


def _no_img_url(
    path: Path, columns: Sequence[str], hint: tuple[str, str], image_column: str | None = None
) -> InputError:
    """`hint`: (where it was read, e.g. " (read as utf-8, comma-separated)"; advice)."""
    where, advice = hint
    shown = ", ".join(repr(name) for name in columns) or "none"
    if image_column is not None:
        return InputError(
            f"--image-column: {path}{where} has no column {image_column!r} (columns: {shown})"
            + advice
        )
    return InputError(
        f"INPUT: {path}{where} has no image URL column (columns: {shown}); name it with "
        "--image-column NAME (names recognised by themselves: img_url, image, photo url, "
        "图片链接 ...)" + advice
    )


def choose_columns(
    path: Path,
    columns: Sequence[str],
    image_column: str | None = None,
    sku_column: str | None = None,
    hint: tuple[str, str] = ("", ""),
) -> ColumnChoice:
    """The image, SKU and id columns of a header (see `tmapi_search.bulk.columns`);
    InputError listing the columns when there is no image column (or no `sku_column`)."""
    image = find_column(columns, _image_names(image_column))
    if image is None:
        raise _no_img_url(path, columns, hint, image_column)
    rest = [name if i != image else "" for i, name in enumerate(columns)]
    if sku_column is not None:
        sku = find_column(rest, (sku_column,))
        if sku is None:
            shown = ", ".join(repr(name) for name in columns)
            raise InputError(
                f"--sku-column: {path} has no column {sku_column!r} (columns: {shown})"
            )
    else:
        sku = find_column(rest, SKU_NAMES)
    ext_id = find_column([name if i != sku else "" for i, name in enumerate(rest)], ID_NAMES)
    return ColumnChoice(image, sku, ext_id, image_given=image_column is not None)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class _NumberText(str):
    """The text of a workbook cell that held a number (`12.5`): kept as text, marked."""

    __slots__ = ()


def _xlsx_records(
    path: Path, sheet: str | None
) -> tuple[list[str], Iterator[tuple[int, list[str]]], str, list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(f"INPUT: cannot read {path} as an .xlsx workbook: {exc}") from None
    names = book.sheetnames
    if sheet is None:
        chosen = names[0]
    elif sheet in names:
        chosen = sheet
    else:
        book.close()
        raise InputError(f"--sheet: {path} has no sheet {sheet!r} (sheets: {', '.join(names)})")
    worksheet = book[chosen]
    rows = worksheet.iter_rows(values_only=True)
    header = [_cell_text(value) for value in next(rows, ())]
    while header and not header[-1]:
        header.pop()

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(rows, start=2):
                cells = [
                    _NumberText(_cell_text(value))
                    if isinstance(value, int | float) and not isinstance(value, bool)
                    else _cell_text(value)
                    for value in values
                ]
                while len(cells) > len(header) and not cells[-1]:
                    cells.pop()  # empty cells right of the table are not data
                if any(cells):
                    yield number, cells
        finally:
            book.close()

    return header, records(), f"xlsx, sheet {chosen!r}", list(names)


# -- text: encoding, streamed ---------------------------------------------------------
#: Bytes read at a time when hashing and checking a text catalogue's encoding.
_CHUNK = 1 << 20
#: A file up to this size is given whole to charset-normalizer (as before streaming);
#: a bigger one, its first `_SAMPLE` bytes (cut at a line end), then checked whole.
_WHOLE_DETECT = 4 << 20
_SAMPLE = 1 << 20
#: Part of the fingerprint: a change in how rows are read makes every catalogue "new".
_READER_VERSION = "2"


def _scan(path: Path, codec: str | None) -> tuple[bool, str, int]:
    """Read the file once: (decodes cleanly as `codec`, sha256 hex, size in bytes).

    `codec` None: only the hash. The text is never held: decoding is incremental.
    """
    digest = hashlib.sha256()
    decoder = None if codec is None else codecs.getincrementaldecoder(codec)()
    ok = True
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if decoder is not None and ok:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        ok = False
            if decoder is not None and ok:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    ok = False
    except OSError as exc:
        raise InputError(f"INPUT: cannot read {path}: {exc.strerror or exc}") from None
    return ok, digest.hexdigest(), size


def _read_all(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"INPUT: cannot read {path}: {exc.strerror or exc}") from None


def _sample(path: Path, size: int) -> bytes:
    if size <= _WHOLE_DETECT:
        return _read_all(path)
    with path.open("rb") as handle:
        data = handle.read(_SAMPLE)
    end = data.rfind(b"\n")
    return data[: end + 1] if end > 0 else data


def _encoding_of(path: Path, head: bytes, encoding: str | None) -> tuple[str, str, str, int]:
    """(codec to read with, how it was decided, sha256 hex, size): one pass over the file.

    The same decisions and errors as `_decode` on the whole text, without holding it:
    a BOM, else UTF-8 checked chunk by chunk, else charset-normalizer on the file (a
    sample of a big one, then the whole file checked with the guess).
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"--encoding: unknown encoding {encoding!r}") from None
        ok, digest, size = _scan(path, encoding)
        if not ok:
            _decode(path, _read_all(path), encoding)  # raises, naming line and byte
        return encoding, encoding, digest, size
    for bom, name in _BOMS:
        if head.startswith(bom):
            ok, digest, size = _scan(path, name)
            if not ok:
                _decode(path, _read_all(path), None)  # raises the BOM error
            return name, f"{name} (BOM)", digest, size
    ok, digest, size = _scan(path, "utf-8")
    if ok:
        return "utf-8", "utf-8", digest, size
    data = _sample(path, size)
    if size <= _WHOLE_DETECT:
        _text, how = _decode(path, data, None)  # raises when it cannot tell
        return how.removesuffix(" (detected)"), how, digest, size
    try:
        _text, how = _decode(path, data, None)
    except InputError:
        _decode(path, _read_all(path), None)  # the whole file: the same verdict as before
        raise
    codec = how.removesuffix(" (detected)")
    ok, _digest, _size = _scan(path, codec)
    if not ok:
        raise InputError(
            f"INPUT: cannot tell the encoding of {path}: its beginning reads as {codec} but "
            f"the rest does not. Give it with --encoding (e.g. --encoding gb18030, "
            "--encoding utf-16, --encoding cp1252)"
        )
    return codec, how, digest, size


# -- the stream ------------------------------------------------------------------------
#: What a stream yields: ("image", InputImage), ("bad", BadRow) or ("warning", BadRow).
Event = tuple[str, "InputImage | BadRow"]


@dataclass(slots=True)
class InputStream:
    """An open catalogue: its header is checked, its rows come one by one (`events`).

    Duplicates (the same key twice) are not detected here: `read_input` does it in
    memory, `bulk` in the database, batch by batch. `fingerprint` identifies the bytes
    and the reading options (a catalogue given again unchanged need not be read again).
    """

    path: Path
    columns: list[str]
    read_as: str
    fingerprint: str
    size: int
    events: Iterator[Event]
    #: catalogue columns carried as `extra` (all but the image, SKU and id columns)
    extra_columns: list[str] = field(default_factory=list)
    #: the columns taken as the image URL, the SKU and the id (None: none)
    image_column: str | None = None
    sku_column: str | None = None
    id_column: str | None = None
    #: which extra columns hold numbers (complete once the rows are read: `number_columns`)
    numbers: NumberColumns | None = None
    #: rows (records) read so far
    rows_read: int = 0
    _close: Any = None

    def __iter__(self) -> Iterator[Event]:
        for event in self.events:
            self.rows_read += 1
            yield event

    def number_columns(self) -> list[str]:
        """The extra columns written as numbers in a workbook (the rows read so far)."""
        return [] if self.numbers is None else self.numbers.names()

    def describe_columns(self) -> str:
        """ "image column: 图片链接" (and the SKU column when there is one)."""
        text = f"image column: {self.image_column}"
        if self.sku_column is not None:
            text += f", SKU column: {self.sku_column}"
        return text

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> InputStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fingerprint(digest: str, size: int, **options: str | None) -> str:
    text = json.dumps({"sha256": digest, "size": size, "v": _READER_VERSION, **options})
    return hashlib.sha256(text.encode()).hexdigest()


def open_input(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    image_column: str | None = None,
    sku_column: str | None = None,
) -> InputStream:
    """Open the input file and check its header; raise InputError when it cannot be used.

    The rows are read as the stream is iterated, never all at once. The image and SKU
    columns are recognised by name (`tmapi_search.bulk.columns`), or named by
    `image_column` / `sku_column`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"INPUT: {path} does not exist")
    if path.is_dir():
        raise InputError(f"INPUT: {path} is a directory, not a catalogue file")
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in _SPREADSHEET_SUFFIXES:
        raise InputError(f"--sheet: only for .xlsx workbooks, and {path} is a text file")
    if delimiter is not None:
        delimiter = parse_delimiter(delimiter)
    options = {
        "encoding": encoding,
        "delimiter": delimiter,
        "sheet": sheet,
        "image_column": image_column,
        "sku_column": sku_column,
    }

    if suffix in _SPREADSHEET_SUFFIXES:
        for name, given in (("--encoding", encoding), ("--delimiter", delimiter)):
            if given is not None:
                raise InputError(f"{name}: only for text catalogues, and {path} is a workbook")
        _ok, digest, size = _scan(path, None)
        header, records, read_as, sheets = _xlsx_records(path, sheet)
        columns = _columns(path, header)
        try:
            hint = (
                f", {read_as.removeprefix('xlsx, ')},",
                f"; the workbook's sheets: {', '.join(map(repr, sheets))} (--sheet NAME "
                "reads another)",
            )
            choice = choose_columns(path, columns, image_column, sku_column, hint)
        except InputError:
            close = getattr(records, "close", None)
            if close is not None:
                close()
            raise
        return _table_stream(
            path,
            columns,
            choice,
            records,
            read_as,
            _fingerprint(digest, size, **options),
            size,
            workbook=True,
            close=getattr(records, "close", None),
        )

    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError(f"INPUT: cannot read {path}: {exc.strerror or exc}") from None
    if suffix in (".xls", ".ods", ".numbers") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"INPUT: {path} is a spreadsheet format not read here (old Excel .xls, "
            ".ods, .numbers); save it as .xlsx or CSV"
        )
    if head.startswith(b"SQLite f"):
        raise InputError(
            f"INPUT: {path} is a SQLite database (a results database?), not a catalogue; "
            "give the CSV, TSV or .xlsx file of your photos as INPUT, and the database "
            "with --db"
        )
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"INPUT: {path} is a zip archive (an .xlsx workbook saved under another name?); "
            "name it .xlsx, or save the sheet as CSV"
        )
    codec, how, digest, size = _encoding_of(path, head, encoding)
    fingerprint = _fingerprint(digest, size, **options)
    try:
        handle_text = path.open(encoding=codec, newline="")
    except OSError as exc:
        raise InputError(f"INPUT: cannot read {path}: {exc.strerror or exc}") from None
    head_lines: list[str] = []
    first: str | None = None
    for raw in handle_text:
        if not head_lines:
            raw = raw.removeprefix("\ufeff")
        head_lines.append(raw)
        if raw.strip():
            first = raw.rstrip("\r\n")
            break
    if first is None:
        handle_text.close()
        raise InputError(f"INPUT: {path} is empty")
    lines: Iterator[str] = itertools.chain(head_lines, handle_text)
    sniffed = delimiter or _sniff_delimiter(first, image_column)
    if sniffed is None and suffix == ".tsv":
        sniffed = "\t"
    if sniffed is None and (suffix in _TABLE_SUFFIXES or image_column is not None):
        handle_text.close()
        likely = _likely_delimiter(first)
        columns = _header_cells(first, likely)
        raise _no_img_url(
            path,
            columns,
            (
                f" (read as {how}, delimiters tried: comma, semicolon, tab, pipe)",
                "; or give the delimiter with --delimiter",
            ),
            image_column,
        )
    if sniffed is None:
        return InputStream(
            path,
            [IMG_URL],
            how,
            fingerprint,
            size,
            _url_events(line.rstrip("\r\n") for line in lines),
            [],
            _close=handle_text.close,
        )
    read_as = f"{how}, {_DELIMITER_NAMES.get(sniffed, repr(sniffed))}-separated"
    skipped_lines = 0  # lines of nothing but line breaks before the header
    while head_lines and not head_lines[0].strip("\r\n"):
        skipped_lines += head_lines.pop(0).count("\n")
    reader = csv.reader(itertools.chain(head_lines, handle_text), delimiter=sniffed)
    header = next(reader, [])
    columns = _columns(path, header)
    try:
        hint = (f" (read as {read_as})", "; or check --delimiter")
        choice = choose_columns(path, columns, image_column, sku_column, hint)
    except InputError:
        handle_text.close()
        raise

    def csv_records() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a cell longer than csv's field limit
                line = reader.line_num + skipped_lines
                raise InputError(f"INPUT: {path}: line {line}: {exc}") from None
            yield start + skipped_lines, cells
            start = reader.line_num + 1

    return _table_stream(
        path,
        columns,
        choice,
        csv_records(),
        read_as,
        fingerprint,
        size,
        close=handle_text.close,
    )


def _table_stream(
    path: Path,
    columns: list[str],
    choice: ColumnChoice,
    records: Iterator[tuple[int, list[str]]],
    read_as: str,
    fingerprint: str,
    size: int,
    *,
    workbook: bool = False,
    close: Any = None,
) -> InputStream:
    events, extra, numbers = _table_events(columns, choice, records, workbook=workbook)
    return InputStream(
        path,
        columns,
        read_as,
        fingerprint,
        size,
        events,
        extra,
        image_column=columns[choice.image],
        sku_column=None if choice.sku is None else columns[choice.sku],
        id_column=None if choice.ext_id is None else columns[choice.ext_id],
        numbers=numbers,
        _close=close,
    )


def read_input(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    image_column: str | None = None,
    sku_column: str | None = None,
) -> InputRows:
    """Read the whole input file into memory (`open_input`, collected; duplicates found).

    Raise InputError when it cannot be used at all.
    """
    stream = open_input(
        path,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        image_column=image_column,
        sku_column=sku_column,
    )
    result = InputRows(columns=stream.columns, read_as=stream.read_as)
    seen: dict[str, int] = {}
    with stream:
        for kind, row in stream:
            if kind == "image":
                assert isinstance(row, InputImage)
                _accept(result, seen, row)
            elif kind == "warning":
                assert isinstance(row, BadRow)
                result.warnings.append(row)
            else:
                assert isinstance(row, BadRow)
                result.bad.append(row)
    return result


def _table_events(
    columns: list[str],
    choice: ColumnChoice,
    records: Iterator[tuple[int, list[str]]],
    *,
    workbook: bool = False,
) -> tuple[Iterator[Event], list[str], NumberColumns]:
    url_at = choice.image
    sku_at = choice.sku
    id_at = choice.ext_id
    width = len(columns)
    special = {url_at, sku_at, id_at} - {None}
    extra_names = [(i, name) for i, name in enumerate(columns) if i not in special]
    numbers = NumberColumns(
        [name for _i, name in extra_names],
        never=frozenset(n for n, (_i, name) in enumerate(extra_names) if id_like(name)),
    )
    see = numbers.see

    def rejected(line: int, cells: list[str], url: str, reason: str) -> BadRow:
        cells = cells[:width]
        return BadRow(
            line,
            url,
            reason,
            sku=_cell_at(cells, sku_at),
            ext_id=_cell_at(cells, id_at),
            extra={
                name: cells[i] for i, name in enumerate(columns[: len(cells)]) if i not in special
            },
        )

    def events() -> Iterator[Event]:
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) > width:
                hint = (
                    "values right of the last named column: name the column"
                    if workbook
                    else "quote a value that contains the delimiter (or check --delimiter)"
                )
                reason = f"{len(cells)} cells but the header has {width}: {hint}; row skipped"
                yield "bad", rejected(line, cells, "", reason)
                continue
            if len(cells) < width:
                yield (
                    "warning",
                    BadRow(
                        line,
                        "",
                        f"{len(cells)} cells but the header has {width}; kept, the "
                        "missing ones are blank",
                    ),
                )
                cells = [*cells, *([""] * (width - len(cells)))]
            url = cells[url_at]
            problem = url_problem(url)
            if problem is not None:
                yield "bad", rejected(line, cells, url, problem)
                continue
            extra = {}
            for n, (i, name) in enumerate(extra_names):
                cell = cells[i]
                if cell.strip():
                    see(n, cell, type(cell) is _NumberText)
                extra[name] = str(cell)
            yield (
                "image",
                InputImage(
                    line=line,
                    img_url=url.strip(),
                    sku=None if sku_at is None else cells[sku_at].strip() or None,
                    ext_id=None if id_at is None else cells[id_at].strip() or None,
                    extra=extra,
                ),
            )

    return events(), [name for _i, name in extra_names], numbers


def _cell_at(cells: list[str], index: int | None) -> str | None:
    if index is None or index >= len(cells):
        return None
    return cells[index].strip() or None


def _url_events(lines: Iterable[str]) -> Iterator[Event]:
    for number, raw in enumerate(lines, start=1):
        problem = url_problem(raw)
        if problem is not None:
            yield "bad", BadRow(number, raw, problem.replace("img_url", "line"))
            continue
        yield "image", InputImage(line=number, img_url=raw.strip())


def _accept(result: InputRows, seen: dict[str, int], image: InputImage) -> None:
    first = seen.get(image.key)
    if first is not None:
        result.bad.append(duplicate(image, first))
        return
    seen[image.key] = image.line
    result.images.append(image)


def duplicate(image: InputImage, first: int) -> BadRow:
    """The report of a row repeating line `first` (same sku/id and img_url)."""
    return BadRow(
        image.line, image.img_url, f"duplicate of line {first}, skipped", duplicate_of=first
    )
