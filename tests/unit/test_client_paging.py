"""iter_search_by_image: stops at total_count, an empty page, max_items, max_pages;
never requests a page it does not need. Sync and async."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from tmapi_client.models import SearchItem

from tmapi_search import AsyncTmapiClient, TmapiClient
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"

pytestmark = [
    pytest.mark.usefixtures("tmapi_no_backoff"),
    pytest.mark.parametrize("mode", ["sync", "async"]),
]


def collect(mode: str, img_url: str = ALI_IMAGE, **kwargs: Any) -> list[SearchItem]:
    if mode == "sync":
        with TmapiClient(TOKEN) as client:
            return list(client.iter_search_by_image(img_url, **kwargs))

    async def main() -> list[SearchItem]:
        async with AsyncTmapiClient(TOKEN) as client:
            return [item async for item in client.iter_search_by_image(img_url, **kwargs)]

    return asyncio.run(main())


_ITEM_IDS = itertools.count(1000)


def page_of(count: int, total: int) -> Callable[[dict[str, Any]], None]:
    """Turn the vendor's example into a page of `count` new offers out of `total`."""

    def transform(body: dict[str, Any]) -> None:
        items = body["data"]["items"]
        body["data"]["items"] = [
            dict(items[i % len(items)], item_id=next(_ITEM_IDS)) for i in range(count)
        ]
        body["data"]["page_size"] = count
        body["data"]["total_count"] = total

    return transform


def pages_requested(tmapi_mock: TmapiMock) -> list[str]:
    return [tmapi_mock.search.params(i)["page"] for i in range(tmapi_mock.search.call_count)]


def test_stops_at_total_count(mode: str, tmapi_mock: TmapiMock) -> None:
    for count in (20, 20, 5):
        tmapi_mock.search.success("vendor_two_items", transform=page_of(count, total=45))
    items = collect(mode)
    assert len(items) == 45
    assert pages_requested(tmapi_mock) == ["1", "2", "3"]


def test_total_count_on_a_page_boundary_needs_no_extra_page(
    mode: str, tmapi_mock: TmapiMock
) -> None:
    for _ in range(2):
        tmapi_mock.search.success("vendor_two_items", transform=page_of(20, total=40))
    tmapi_mock.search.success("empty_page")  # would be served if a third page were asked
    assert len(collect(mode)) == 40
    assert pages_requested(tmapi_mock) == ["1", "2"]


def test_a_page_of_offers_already_seen_ends_the_paging(mode: str, tmapi_mock: TmapiMock) -> None:
    for _ in range(10):  # the vendor answers every page with the same 2 offers
        tmapi_mock.search.success("vendor_two_items")
    items = collect(mode, max_items=20)
    example = tmapi_mock.search.example("vendor_two_items")["data"]["items"]
    assert [item.item_id for item in items] == [i["item_id"] for i in example]
    assert pages_requested(tmapi_mock) == ["1", "2"]  # 2 paid pages, not 10


def test_stops_at_an_empty_page(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("vendor_two_items")  # 2 items, total_count 666
    tmapi_mock.search.success("empty_page")
    items = collect(mode)
    assert [item.item_id for item in items] == [
        i["item_id"] for i in tmapi_mock.search.example("vendor_two_items")["data"]["items"]
    ]
    assert pages_requested(tmapi_mock) == ["1", "2"]


def test_stops_at_max_items(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("vendor_two_items", transform=page_of(20, total=666))
    assert len(collect(mode, max_items=20)) == 20
    assert pages_requested(tmapi_mock) == ["1"]


def test_max_items_smaller_than_a_page_asks_for_smaller_pages(
    mode: str, tmapi_mock: TmapiMock
) -> None:
    # pages of 2 new offers (total 666): 3 items need pages 1 and 2
    for _ in range(3):
        tmapi_mock.search.success("vendor_two_items", transform=page_of(2, total=666))
    assert len(collect(mode, max_items=3)) == 3
    assert pages_requested(tmapi_mock) == ["1", "2"]
    assert {tmapi_mock.search.params(i)["page_size"] for i in range(2)} == {"3"}


def test_stops_at_max_pages(mode: str, tmapi_mock: TmapiMock) -> None:
    for _ in range(3):
        tmapi_mock.search.success("vendor_two_items", transform=page_of(2, total=666))
    items = collect(mode, max_pages=2)
    assert len(items) == 4
    assert pages_requested(tmapi_mock) == ["1", "2"]


def test_starts_at_the_given_page_with_the_same_filters(mode: str, tmapi_mock: TmapiMock) -> None:
    collect(mode, page=5, max_pages=2, language="ru", sort="sales", is_factory=True)
    assert pages_requested(tmapi_mock) == ["5", "6"]
    for i in range(2):
        params = tmapi_mock.search.params(i)
        assert (params["language"], params["sort"], params["is_factory"]) == ("ru", "sales", "true")


def test_converts_once_then_pages_with_the_path(mode: str, tmapi_mock: TmapiMock) -> None:
    for _ in range(3):
        tmapi_mock.search.success("vendor_two_items", transform=page_of(2, total=666))
    collect(mode, "https://shop.example.com/p/123.jpg", max_pages=3)
    path = tmapi_mock.convert.example()["data"]["image_url"]
    assert tmapi_mock.convert.call_count == 1
    assert tmapi_mock.search.call_count == 3
    assert {tmapi_mock.search.params(i)["img_url"] for i in range(3)} == {path}


def test_arguments_are_checked_before_iterating(mode: str, tmapi_mock: TmapiMock) -> None:
    for kwargs, name in (
        ({"max_items": 0}, "max_items"),
        ({"max_pages": -1}, "max_pages"),
        ({"page_size": 21}, "page_size"),
    ):
        with TmapiClient(TOKEN) as client, pytest.raises(ValueError, match=f"^{name}"):
            client.iter_search_by_image(ALI_IMAGE, **kwargs)
        aclient = AsyncTmapiClient(TOKEN)
        with pytest.raises(ValueError, match=f"^{name}"):
            aclient.iter_search_by_image(ALI_IMAGE, **kwargs)
        asyncio.run(aclient.aclose())
    assert tmapi_mock.call_count == 0
