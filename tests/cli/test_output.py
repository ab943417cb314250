"""Formatting the generated models: the table's columns, and every field in json/jsonl/csv."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from rich.console import Console
from tmapi_client.models import SearchItem

from tmapi_search import spec
from tmapi_search.cli.output import item_rows, write_items


def vendor_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = spec.response_example()["data"]["items"]
    return items


def models() -> list[SearchItem]:
    return [SearchItem.from_dict(item) for item in vendor_items()]


def test_table_row_picks_the_documented_columns() -> None:
    raw = vendor_items()[0]
    row = item_rows(models()[0])
    assert row["title"] == raw["title"]
    assert row["price"] == raw["price"]
    assert row["moq"] == str(raw["quantity_begin"])
    assert row["sales"] == (
        f"{raw['sale_info']['sale_quantity_month']} / {raw['sale_info']['sale_quantity']}"
    )
    assert row["shop"] == raw["shop_info"]["company_name"]
    assert row["location"] == ", ".join(raw["shop_info"]["location"])
    assert row["factory"] == ("yes" if raw["shop_info"]["is_factory"] else "no")
    assert row["url"] == raw["product_url"]


def test_table_renders_every_item() -> None:
    console = Console(record=True, width=300)
    write_items(models(), "table", console=console, out=io.BytesIO(), title="t", wide=True)
    text = console.export_text()
    for raw in vendor_items():
        assert raw["product_url"] in text
        assert raw["title"] in text
        assert raw["price"] in text


def test_item_without_optional_objects_still_renders() -> None:
    row = item_rows(SearchItem.from_dict({"item_id": 1}))
    assert row["shop"] == "" and row["sales"] == "- / -"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_carry_every_field(fmt: str) -> None:
    out = io.BytesIO()
    write_items(models(), fmt, console=Console(), out=out)  # type: ignore[arg-type]
    text = out.getvalue().decode("utf-8")
    if fmt == "json":
        assert json.loads(text) == vendor_items()
    else:
        assert [json.loads(line) for line in text.splitlines()] == vendor_items()


def test_csv_carries_every_field_flattened() -> None:
    out = io.BytesIO()
    write_items(models(), "csv", console=Console(), out=out)
    assert not out.getvalue().startswith(b"\xef\xbb\xbf")  # no BOM unless asked
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    raw = vendor_items()[0]
    assert len(rows) == 2
    assert rows[0]["title_origin"] == raw["title_origin"]
    assert rows[0]["price_info.drop_ship_price"] == raw["price_info"]["drop_ship_price"]
    assert json.loads(rows[0]["quantity_prices"]) == raw["quantity_prices"]
    assert rows[0]["sale_info.orders_count"] == str(raw["sale_info"]["orders_count"])


def render(items: list[SearchItem], *, width: int, wide: bool = False) -> list[str]:
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=True)
    write_items(items, "table", console=console, out=io.BytesIO(), title="t", wide=wide)
    value = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(value, str)
    return value.splitlines()


def test_table_fits_80_columns_one_line_per_item() -> None:
    items = models()
    lines = render(items, width=80)
    assert max(len(line) for line in lines) <= 80
    assert len(lines) == 3 + len(items)  # title, header, rule, one line per item
    for line, raw in zip(lines[3:], vendor_items(), strict=True):
        assert line.rstrip().endswith(str(raw["item_id"]))  # the offer id, not the URL
        assert raw["title"][:10] in line and "…" in line  # cut with an ellipsis
        assert raw["product_url"] not in line
    header = lines[1].split()
    assert header[:2] == ["#", "title"] and header[-1] == "offer"


def test_wide_table_shows_everything_in_full() -> None:
    lines = render(models(), width=80, wide=True)
    text = "\n".join(lines)
    assert len(lines) == 3 + 2
    for raw in vendor_items():
        assert raw["title"] in text and raw["product_url"] in text
        assert ", ".join(raw["shop_info"]["location"]) in text


def test_table_on_a_terminal_whose_encoding_cannot_hold_the_text() -> None:
    items = [SearchItem.from_dict({**raw, "title": raw["title_origin"]}) for raw in vendor_items()]
    raw_out = io.BytesIO()
    stream = io.TextIOWrapper(raw_out, encoding="cp1252")  # a Windows console, redirected
    console = Console(file=stream, width=80, highlight=False)
    write_items(items, "table", console=console, out=io.BytesIO())
    stream.flush()
    text = raw_out.getvalue().decode("cp1252")
    assert str(vendor_items()[0]["item_id"]) in text
    assert "?" in text  # the Chinese title, replaced rather than a crash


@pytest.mark.parametrize("width", [140, 200])
def test_a_wide_terminal_gets_the_location_and_the_whole_url_on_one_line(width: int) -> None:
    lines = render(models(), width=width)
    assert max(len(line) for line in lines) <= width
    assert len(lines) == 3 + 2 and "location" in lines[1]
    for line, raw in zip(lines[3:], vendor_items(), strict=True):
        assert line.rstrip().endswith(raw["product_url"])
