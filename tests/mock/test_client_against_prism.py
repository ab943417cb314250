"""TmapiClient / AsyncTmapiClient against the real Prism mock of openapi.yaml.

The `--errors` Prism checks every request against the contract, so these tests also
prove the client's requests (every filter, the convert body, the token) are what the
contract says. Bodies come from the contract's examples.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mock.prism import PrismServer
from tmapi_search import (
    AsyncTmapiClient,
    ConcurrencyLimitError,
    SubscriptionError,
    TmapiClient,
    spec,
)

TOKEN = "demo-token"
VENDOR_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
EXAMPLE = spec.response_example(name="vendor_two_items")["data"]

pytestmark = pytest.mark.usefixtures("tmapi_no_backoff")


def test_search_with_every_filter_is_a_valid_request(prism_errors_server: PrismServer) -> None:
    with TmapiClient(TOKEN, base_url=prism_errors_server.base_url) as client:
        data = client.search_by_image(
            VENDOR_IMAGE,
            page=2,
            page_size=5,
            language="ja",
            sort="price_down",
            support_dropshipping=True,
            is_factory=False,
            verified_supplier=True,
            free_shipping=True,
            new_arrival=False,
        )
    assert data.total_count == EXAMPLE["total_count"]
    assert [item.item_id for item in data.items] == [i["item_id"] for i in EXAMPLE["items"]]


def test_auto_conversion_then_search(prism_errors_server: PrismServer) -> None:
    async def main() -> int:
        async with AsyncTmapiClient(TOKEN, base_url=prism_errors_server.base_url) as client:
            data = await client.search_by_image("https://shop.example.com/images/case.jpg")
            return data.total_count

    assert asyncio.run(main()) == EXAMPLE["total_count"]


def test_paging_against_prism(prism_base_url: str) -> None:
    with TmapiClient(TOKEN, base_url=prism_base_url) as client:
        items = list(client.iter_search_by_image(VENDOR_IMAGE, max_pages=3))
    # Prism answers every page with the example: page 2 repeats page 1, paging stops there
    assert [item.item_id for item in items] == [item["item_id"] for item in EXAMPLE["items"]]


def test_documented_errors_from_prism(prism_base_url: str) -> None:
    with (
        httpx.Client(headers={"Prefer": "code=503"}) as busy,
        TmapiClient(TOKEN, base_url=prism_base_url, http_client=busy, max_retries=2) as client,
        pytest.raises(ConcurrencyLimitError) as info,
    ):
        client.search_by_image(VENDOR_IMAGE)
    assert info.value.attempts == 3 and info.value.status_code == 503

    with (
        httpx.Client(headers={"Prefer": "code=439"}) as broke,
        TmapiClient(TOKEN, base_url=prism_base_url, http_client=broke) as client,
        pytest.raises(SubscriptionError) as billing,
    ):
        client.search_by_image(VENDOR_IMAGE)
    assert billing.value.attempts == 1
    assert billing.value.msg == spec.error_example(439)["msg"]
