"""Catalogues as people save them: encodings, delimiters, .xlsx, bad headers, ragged rows.

Every catalogue here is a real file written the way the program named would write it
(GBK by a Chinese-locale Excel/WPS "CSV", UTF-16 by Excel's "Unicode Text", `;` by a
European-locale Excel, an .xlsx by openpyxl) and read back with `read_input`.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from openpyxl import Workbook

from tmapi_search.bulk.inputs import InputError, read_input

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
ROWS = [
    ("PC-01", ALI, "手机壳 款式 折叠屏", "华为", "4,10"),
    ("PC-02", f"{ALI}?n=2", "保护套 红色 波点", "小米", "5,00"),
    ("PC-03", f"{ALI}?n=3", "适用华为折叠 铃铛 手绳", "荣耀", "3,95"),
]
HEADER = ("sku", "img_url", "title", "品牌", "价格")


def catalogue_text(delimiter: str, *, newline: str = "\r\n") -> str:
    lines = [delimiter.join(HEADER)]
    for row in ROWS:
        lines.append(delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in row))
    return newline.join(lines) + newline


def assert_read_right(path: Path, **options: str) -> str:
    rows = read_input(path, **options)
    assert rows.bad == [] and rows.warnings == []
    assert [(i.sku, i.img_url) for i in rows.images] == [(r[0], r[1]) for r in ROWS]
    assert [i.extra for i in rows.images] == [
        {"title": r[2], "品牌": r[3], "价格": r[4]} for r in ROWS
    ]
    assert [i.line for i in rows.images] == [2, 3, 4]
    return rows.read_as


def test_gbk_catalogue_from_a_chinese_locale_excel(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(catalogue_text(",").encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")  # what used to fail
    assert assert_read_right(path) == "gb18030 (detected), comma-separated"


def test_a_tiny_chinese_catalogue_is_not_read_as_korean(tmp_path: Path) -> None:
    """Three Chinese characters decode cleanly as cp949 too, and charset-normalizer scores
    that a hair better: GB18030 is taken (found by hand: the column came out as 틔탬)."""
    path = tmp_path / "catalogue.csv"
    text = (
        "img_url,sku,品牌\n"
        "https://cbu01.alicdn.com/img/ibank/a.jpg,S1,甲\n"
        "https://cbu01.alicdn.com/img/ibank/b.jpg,S2,乙\n"
    )
    path.write_bytes(text.encode("gb18030"))
    rows = read_input(path)
    assert rows.read_as.startswith("gb18030 (detected)")
    assert [image.extra["品牌"] for image in rows.images] == ["甲", "乙"]


def test_gb18030_with_characters_gbk_lacks(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    text = catalogue_text(",").replace("华为", "华为 𠀀")  # outside GBK, inside GB18030
    path.write_bytes(text.encode("gb18030"))
    rows = read_input(path)
    assert rows.images[0].extra["品牌"] == "华为 𠀀"


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16 (BOM), tab-separated"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16 (BOM), tab-separated"),
        ("utf-16-le", b"", "utf_16_le (detected), tab-separated"),
    ],
)
def test_utf16_unicode_text(tmp_path: Path, encoding: str, bom: bytes, expected: str) -> None:
    # Excel's "Unicode Text (*.txt)": UTF-16 with a BOM, tab-separated
    path = tmp_path / "catalogue.txt"
    path.write_bytes(bom + catalogue_text("\t").encode(encoding))
    assert assert_read_right(path) == expected


@pytest.mark.parametrize(
    ("delimiter", "name", "suffix"),
    [
        (";", "semicolon", ".csv"),
        ("\t", "tab", ".tsv"),
        ("\t", "tab", ".csv"),
        ("|", "pipe", ".txt"),
    ],
)
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str, name: str, suffix: str) -> None:
    path = tmp_path / f"catalogue{suffix}"
    path.write_bytes(codecs.BOM_UTF8 + catalogue_text(delimiter).encode("utf-8"))
    assert assert_read_right(path) == f"utf-8-sig (BOM), {name}-separated"


def test_encoding_and_delimiter_options_override_detection(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(catalogue_text(";").encode("gb18030"))
    assert assert_read_right(path, encoding="gb18030", delimiter="semicolon") == (
        "gb18030, semicolon-separated"
    )
    with pytest.raises(InputError, match=r"not valid utf-8 \(line 1.*check --encoding"):
        read_input(path, encoding="utf-8")
    with pytest.raises(InputError, match="--encoding: unknown encoding 'klingon'"):
        read_input(path, encoding="klingon")
    with pytest.raises(
        InputError, match="has no image URL column.*--image-column.*check --delimiter"
    ):
        read_input(path, delimiter=",")
    with pytest.raises(InputError, match="--delimiter: one character"):
        read_input(path, delimiter=";;")


def test_unsure_encoding_names_the_file_what_was_tried_and_the_option(tmp_path: Path) -> None:
    path = tmp_path / "noise.csv"
    noise = bytes((37 * i + 128) % 256 | 0x80 for i in range(300))
    path.write_bytes(f"sku,img_url\nA,{ALI}\n".encode() + noise)
    with pytest.raises(InputError) as caught:
        read_input(path)
    message = str(caught.value)
    assert str(path) in message
    assert "byte-order mark" in message and "UTF-8" in message and "charset detection" in message
    assert "--encoding" in message


def test_no_img_url_column_names_the_columns_and_the_delimiters_tried(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text("sku;picture link;title\nA;https://x.example/a.jpg;t\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_input(path)
    message = str(caught.value)
    assert "columns: 'sku', 'picture link', 'title'" in message  # split on the likely one
    assert "comma, semicolon, tab, pipe" in message and "--delimiter" in message
    assert "--image-column NAME" in message


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_catalogue_written_by_openpyxl(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(HEADER)]
    rows += [[*row[:4], float(row[4].replace(",", "."))] for row in ROWS]
    rows[1][0] = 1001  # a numeric SKU cell: read as "1001", not "1001.0"
    rows.append([None, None, None, None, None])  # an empty row below the table
    path = write_xlsx(tmp_path / "catalogue.xlsx", {"Notes": [["x"]], "Products": rows})
    with pytest.raises(
        InputError,
        match="sheet 'Notes', has no image URL column.*--image-column"
        ".*sheets: 'Notes', 'Products' \\(--sheet",
    ):
        read_input(path)
    result = read_input(path, sheet="Products")
    assert result.read_as == "xlsx, sheet 'Products'"
    assert result.bad == []
    assert [i.sku for i in result.images] == ["1001", "PC-02", "PC-03"]
    assert [i.line for i in result.images] == [2, 3, 4]  # the spreadsheet's row numbers
    assert result.images[0].extra == {"title": ROWS[0][2], "品牌": "华为", "价格": "4.1"}
    with pytest.raises(
        InputError, match=r"--sheet: .* no sheet 'Nope' \(sheets: Notes, Products\)"
    ):
        read_input(path, sheet="Nope")


def test_sheet_option_is_only_for_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(catalogue_text(","), encoding="utf-8")
    with pytest.raises(InputError, match="--sheet"):
        read_input(path, sheet="Products")


def test_a_workbook_saved_as_csv_by_name_is_explained(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "catalogue.xlsx", {"Sheet": [list(HEADER)]})
    renamed = path.rename(tmp_path / "catalogue.csv")
    with pytest.raises(InputError, match="zip archive.*xlsx"):
        read_input(renamed)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_duplicate_header_is_an_error_naming_the_column(tmp_path: Path, suffix: str) -> None:
    header = ["sku", "img_url", "Title", "price", "title"]
    if suffix == ".csv":
        path = tmp_path / "catalogue.csv"
        path.write_text(",".join(header) + f"\nA,{ALI},t,1,u\n", encoding="utf-8")
    else:
        path = write_xlsx(tmp_path / "catalogue.xlsx", {"S": [header, ["A", ALI, "t", 1, "u"]]})
    with pytest.raises(InputError, match=r"column 'title' appears twice \(columns 3 and 5\)"):
        read_input(path)


def test_ragged_rows_are_reported_by_line_never_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(
        "sku,img_url,title,price\n"
        f"A,{ALI},Case, red,4.10\n"  # an unquoted comma: 5 cells
        f"B,{ALI}?n=2,Cover\n"  # 3 cells: kept, price blank
        f"C,{ALI}?n=3,Strap,2.00\n",
        encoding="utf-8",
    )
    rows = read_input(path)
    assert [(b.line, b.reason) for b in rows.bad] == [
        (
            2,
            "5 cells but the header has 4: quote a value that contains the delimiter "
            "(or check --delimiter); row skipped",
        ),
    ]
    assert [(w.line, w.reason) for w in rows.warnings] == [
        (3, "3 cells but the header has 4; kept, the missing ones are blank"),
    ]
    assert [(i.sku, i.extra) for i in rows.images] == [
        ("B", {"title": "Cover", "price": ""}),
        ("C", {"title": "Strap", "price": "2.00"}),
    ]


def test_multiline_cells_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(f'sku,img_url,title\nA,{ALI},"two\nlines"\nB,not-a-url,x\n', encoding="utf-8")
    rows = read_input(path)
    assert rows.images[0].extra == {"title": "two\nlines"}
    assert [b.line for b in rows.bad] == [4]


def test_workbook_values_right_of_the_header_are_reported(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "catalogue.xlsx",
        {"S": [["sku", "img_url"], ["A", ALI, None, None], ["B", f"{ALI}?n=2", None, "note"]]},
    )
    rows = read_input(path)
    assert [i.sku for i in rows.images] == ["A"]
    assert [(b.line, b.reason) for b in rows.bad] == [
        (
            3,
            "4 cells but the header has 2: values right of the last named column: name the "
            "column; row skipped",
        ),
    ]
    with pytest.raises(InputError, match="--encoding: only for text catalogues"):
        read_input(path, encoding="gbk")


def test_old_excel_files_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))  # an OLE2 header
    with pytest.raises(InputError, match=r"old Excel \.xls.*save it as \.xlsx or CSV"):
        read_input(path)


@pytest.mark.parametrize(
    ("encoding", "titles", "expected"),
    [
        ("gbk", ["手机壳 款式 折叠屏", "保护套 红色 波点", "适用华为折叠 铃铛 手绳"], "gb18030"),
        ("big5", ["手機殼 款式", "保護套 紅色", "華為 鈴鐺"], "big5"),
        ("shift_jis", ["スマホケース 手帳型", "カバー 赤", "鈴"], "cp932"),
        ("euc_kr", ["휴대폰 케이스", "빨간색", "팔찌"], "cp949"),
        ("cp1251", ["Чехол для телефона", "Красный", "Браслет"], "cp1251"),
        ("cp1252", ["Café crème", "Größe Hülle", "naïve"], "cp1252"),
    ],
)
def test_short_catalogues_in_legacy_encodings(
    tmp_path: Path, encoding: str, titles: list[str], expected: str
) -> None:
    # three rows: the short files where a detector most easily takes one CJK
    # encoding for another (charset-normalizer < 3.4.2 does)
    lines = ["sku,img_url,title", *(f"S{n},{ALI}?n={n},{t}" for n, t in enumerate(titles))]
    path = tmp_path / "catalogue.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    rows = read_input(path)
    assert [i.extra["title"] for i in rows.images] == titles
    assert rows.read_as == f"{expected} (detected), comma-separated"


# Catalogues saved as "CSV" by Excel in a Western or a Central European locale (cp1252,
# cp1250): bytes 0xC0-0xFF are letters in both, so a detector's language statistics
# decide, and on a few rows they are noise. Before: "Señal £12 café crème" read as
# "Seńal Ł12 café crčme", Portuguese "informações" as "informaçőes", "alça de couro,
# não" as GB18030 "al鏰 de couro, n鉶", "Größe" as Shift-JIS.
WESTERN = [
    "Señal £12 café crème; Añejo niño",
    "Ação, coração, pão, informações",
    "Capa de celular, cor-de-rosa, alça de couro, não",
    "Crème brûlée à la française, garçon, œuvre",
    "Perché città però più",
    "Telefoonhoesje, roze, leren riem, één",
    "Mobilcover, lyserød, læderrem, å",
    "Größe Straße Übergröße",
]
CENTRAL = [
    "Zażółć gęślą jaźń, Łódź, Świętokrzyskie, źdźbło",
    "Příliš žluťoučký kůň úpěl ďábelské ódy, Šťastný",
    "Pouzdro na telefon, růžové, kožený řemínek",
    "Obal na mobil, ružový, kožený remienok, ľad",
    "Árvíztűrő tükörfúrógép, Őrség, Győr",
    "Telefontok, rózsaszín, bőr szíj, fülhallgató",
]


def _legacy_catalogue(path: Path, title: str, encoding: str, rows: int) -> Path:
    lines = ["sku,img_url,title", *(f'S{n},{ALI}?n={n},"{title}"' for n in range(rows))]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("rows", [1, 3, 30])
@pytest.mark.parametrize("title", WESTERN)
def test_a_western_excel_csv_is_read_as_cp1252(tmp_path: Path, title: str, rows: int) -> None:
    path = _legacy_catalogue(tmp_path / "catalogue.csv", title, "cp1252", rows)
    read = read_input(path)
    assert [i.extra["title"] for i in read.images] == [title] * rows
    assert read.read_as == "cp1252 (detected), comma-separated"


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("title", CENTRAL)
def test_a_central_european_excel_csv_keeps_its_letters(
    tmp_path: Path, title: str, rows: int
) -> None:
    path = _legacy_catalogue(tmp_path / "catalogue.csv", title, "cp1250", rows)
    read = read_input(path)
    assert [i.extra["title"] for i in read.images] == [title] * rows
