"""convert="auto" | True | False, and the one list of Alibaba-affiliated image hosts."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from tmapi_search import ALIBABA_IMAGE_HOSTS, AsyncTmapiClient, SubscriptionError, TmapiClient
from tmapi_search.images import is_alibaba_image_host, needs_conversion
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
FOREIGN_IMAGE = "https://shop.example.com/images/phone-case.jpg"

pytestmark = pytest.mark.usefixtures("tmapi_no_backoff")


def search(mode: str, img_url: str, **kwargs: Any) -> Any:
    if mode == "sync":
        with TmapiClient(TOKEN) as client:
            return client.search_by_image(img_url, **kwargs)

    async def main() -> Any:
        async with AsyncTmapiClient(TOKEN) as client:
            return await client.search_by_image(img_url, **kwargs)

    return asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_auto_converts_a_foreign_url_once_and_searches_the_path(
    mode: str, tmapi_mock: TmapiMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tmapi_search")
    search(mode, FOREIGN_IMAGE)
    assert tmapi_mock.convert.call_count == 1 and tmapi_mock.search.call_count == 1
    first, second = tmapi_mock.requests
    assert first.url.path.endswith("/convert_url") and second.url.path.endswith("/search/image")
    assert json.loads(first.content) == {
        "url": FOREIGN_IMAGE,
        "search_api_endpoint": "/global/search/image",
    }
    assert first.url.params["apiToken"] == TOKEN
    path = tmapi_mock.convert.example()["data"]["image_url"]
    assert tmapi_mock.search.params()["img_url"] == path
    assert any("converting image URL" in r.message for r in caplog.records)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    "img_url",
    [
        "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg",
        "https://img.alicdn.com/imgextra/i1/O1CN01.jpg",
        "http://GW.ALICDN.COM/bao/uploaded/i4/1.jpg",
        "https://ae01.alicdn.com/kf/S1.jpg",
        "/search/imgextra/1692942898123_q7ftzxs9.jpg",
    ],
)
def test_auto_skips_alibaba_hosts_and_converted_paths(
    img_url: str, mode: str, tmapi_mock: TmapiMock
) -> None:
    search(mode, img_url)
    assert tmapi_mock.convert.call_count == 0
    assert tmapi_mock.search.params()["img_url"] == img_url


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_convert_false_sends_as_is_and_true_always_converts(
    mode: str, tmapi_mock: TmapiMock
) -> None:
    search(mode, FOREIGN_IMAGE, convert=False)
    assert tmapi_mock.convert.call_count == 0
    assert tmapi_mock.search.params()["img_url"] == FOREIGN_IMAGE
    search(mode, "https://cbu01.alicdn.com/a.jpg", convert=True)
    assert tmapi_mock.convert.call_count == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failed_conversion_sends_no_search(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.convert.error(439)
    with pytest.raises(SubscriptionError):
        search(mode, FOREIGN_IMAGE)
    assert (tmapi_mock.convert.call_count, tmapi_mock.search.call_count) == (1, 0)


@pytest.mark.parametrize(
    "host",
    ["alicdn.com.evil.example", "notalicdn.com", "example.com", "alicdn.co", "1688.com.cn"],
)
def test_lookalike_hosts_are_not_alibaba(host: str) -> None:
    assert not is_alibaba_image_host(host)
    assert needs_conversion(f"https://{host}/a.jpg")


def test_the_host_list_is_domain_suffixes() -> None:
    for suffix in ALIBABA_IMAGE_HOSTS:
        assert is_alibaba_image_host(suffix) and is_alibaba_image_host(f"img.{suffix}")
    assert not needs_conversion("https://cbu01.alicdn.com/a.jpg")
    assert not needs_conversion("/search/imgextra/a.jpg", True)
    assert not needs_conversion(FOREIGN_IMAGE, False)
