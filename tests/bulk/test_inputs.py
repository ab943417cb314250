"""Reading bulk inputs: CSV with img_url (+ sku/id, extra columns) or a text file of URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tmapi_search.bulk.inputs import InputError, read_input

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_carries_sku_id_and_extra_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "in.csv",
        "sku,img_url,brand,note\n"
        f"A-1,{ALI},Acme,first\n"
        'B-2,https://example.com/a.jpg,Bolt,"with, comma"\n',
    )
    rows = read_input(path)
    assert rows.bad == []
    assert [(i.line, i.sku, i.img_url) for i in rows.images] == [
        (2, "A-1", ALI),
        (3, "B-2", "https://example.com/a.jpg"),
    ]
    assert rows.images[1].extra == {"brand": "Bolt", "note": "with, comma"}
    assert rows.images[0].ext_id is None


def test_bad_rows_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "in.csv",
        "id,img_url\n"
        f"1,{ALI}\n"
        "2,\n"
        "3,./photos/a.jpg\n"
        "4,ftp://example.com/x.jpg\n"
        "5,/search/imgextra/1692942898123_q7ftzxs9.jpg\n"
        f"1,{ALI}\n",
    )
    rows = read_input(path)
    assert [i.ext_id for i in rows.images] == ["1", "5"]
    assert [(b.line, b.reason) for b in rows.bad] == [
        (3, "blank img_url"),
        (
            4,
            "img_url: './photos/a.jpg' is a local file; the API searches images by URL, so "
            "the photo must be hosted first (your shop, a CDN, an image host) and its "
            "http(s) URL given here",
        ),
        (5, "img_url is not an http(s) URL"),
        (7, "duplicate of line 2, skipped"),
    ]
    assert "line 4" in str(rows.bad[1])


def test_text_file_of_urls(tmp_path: Path) -> None:
    path = write(tmp_path, "urls.txt", f"{ALI}\n\nhttps://example.com/b.png\nnope\n")
    rows = read_input(path)
    assert [i.line for i in rows.images] == [1, 3]
    assert [(b.line, b.reason) for b in rows.bad] == [
        (2, "blank line"),
        (4, "line is not an http(s) URL"),
    ]


def test_csv_without_img_url_column_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", "sku,url\nA,https://x.example/a.jpg\n")
    with pytest.raises(InputError, match="img_url"):
        read_input(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_input(tmp_path / "nope.csv")


def test_key_is_stable_and_distinguishes_skus(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", f"sku,img_url\nA,{ALI}\nB,{ALI}\n")
    first, second = read_input(path).images
    assert first.key != second.key
    assert first.key == read_input(path).images[0].key
