"""Reading a bulk run's input: a CSV with an `img_url` column, or a text file of URLs.

- CSV (a first line that names an `img_url` column): `img_url` is required; `sku` and
  `id` are optional and identify the row; every other column is carried along to the
  database and the export as is.
- Text: one image URL per line.

A row that cannot be searched (blank, not an http(s) URL nor a converted `/search/...`
path, whitespace or control characters inside) is a `BadRow`: reported with its line
number and skipped. A row repeating an earlier one (same `sku`/`id` and `img_url`) is a
duplicate: reported and skipped, so the same image is never paid for twice in a run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tmapi_search.validation import is_converted_path

__all__ = ["BadRow", "InputError", "InputImage", "InputRows", "read_input"]

IMG_URL = "img_url"
ID_COLUMNS = ("sku", "id")


class InputError(ValueError):
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
    """A row that was skipped, and why."""

    line: int
    value: str
    reason: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"line {self.line}: {self.reason}" + (f" ({shown!r})" if shown else "")


@dataclass(slots=True)
class InputRows:
    images: list[InputImage] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def url_problem(value: str) -> str | None:
    """Why `value` cannot be searched as an image URL, or None when it can."""
    if not value.strip():
        return "blank img_url"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "img_url contains control characters"
    if any(ch.isspace() for ch in value.strip()):
        return "img_url contains whitespace"
    text = value.strip()
    if is_converted_path(text):  # the SDK's own rule for converted paths
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "img_url is not an http(s) URL"
    return None


def _looks_like_csv(first_line: str, path: Path) -> bool:
    if path.suffix.lower() in (".csv", ".tsv"):
        return True
    header = [cell.strip().lower() for cell in next(csv.reader([first_line]), [])]
    return IMG_URL in header


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    if path.suffix.lower() == ".tsv":
        dialect = csv.excel_tab
    reader = csv.DictReader(text.splitlines(keepends=True), dialect=dialect)
    fields = [name.strip() for name in (reader.fieldnames or [])]
    if IMG_URL not in [name.lower() for name in fields]:
        raise InputError(
            f"INPUT: {path} has no {IMG_URL!r} column (columns: {', '.join(fields) or 'none'})"
        )
    for row in reader:
        clean = {
            (name or "").strip(): (value if isinstance(value, str) else "")
            for name, value in row.items()
            if name is not None
        }
        yield reader.line_num, clean


def read_input(path: str | Path) -> InputRows:
    """Read the input file; raise InputError when it cannot be used at all."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"INPUT: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"INPUT: cannot read {path}: {exc}") from None
    result = InputRows()
    seen: dict[str, int] = {}
    lines = text.splitlines()
    if not lines:
        raise InputError(f"INPUT: {path} is empty")

    def accept(image: InputImage) -> None:
        first = seen.get(image.key)
        if first is not None:
            result.bad.append(
                BadRow(image.line, image.img_url, f"duplicate of line {first}, skipped")
            )
            return
        seen[image.key] = image.line
        result.images.append(image)

    if _looks_like_csv(lines[0], path):
        for line, row in _csv_rows(path, text):
            lower = {name.lower(): name for name in row}
            if not result.columns:
                result.columns = list(row)
            url = row.get(lower[IMG_URL], "")
            problem = url_problem(url)
            if problem is not None:
                result.bad.append(BadRow(line, url, problem))
                continue
            ids = {
                col: (row.get(lower[col], "").strip() or None) for col in ID_COLUMNS if col in lower
            }
            extra = {
                name: value
                for name, value in row.items()
                if name.lower() not in (IMG_URL, *ID_COLUMNS) and name
            }
            accept(
                InputImage(
                    line=line,
                    img_url=url.strip(),
                    sku=ids.get("sku"),
                    ext_id=ids.get("id"),
                    extra=extra,
                )
            )
    else:
        result.columns = [IMG_URL]
        for number, raw in enumerate(lines, start=1):
            problem = url_problem(raw)
            if problem is not None:
                result.bad.append(BadRow(number, raw, problem.replace("img_url", "line")))
                continue
            accept(InputImage(line=number, img_url=raw.strip()))
    return result
