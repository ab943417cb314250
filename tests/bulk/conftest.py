"""Helpers for the bulk runner's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
TOKEN = "tok-BULK-SECRET-9d2e71"


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """Retries keep their attempt limits but nobody sleeps (stamina's testing mode)."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


def catalogue_csv(path: Path, n: int, *, bad: bool = False, marker: str = "") -> Path:
    """A generated CSV of `n` images on the Alibaba CDN, with sku and an extra column."""
    lines = ["sku,img_url,brand"]
    for i in range(n):
        tag = marker if marker and i % 7 == 3 else ""
        lines.append(f"SKU-{i:04d},{ALI}?n={i}{tag},brand-{i % 5}")
    if bad:
        lines[5:5] = ["SKU-BLANK,,x", "SKU-NOTURL,not a url,y", "SKU-FTP,ftp://example.com/a.jpg,z"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
