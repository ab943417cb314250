"""The generated client against the contract's own examples (served in-process by tmapi_mock)."""

from __future__ import annotations

import logging
import pickle
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from tmapi_client import Client
from tmapi_client.api.search import search_items_by_image
from tmapi_client.api.tools import convert_image_url
from tmapi_client.models import ConvertImageUrlRequest, ErrorResponse, SearchResponse
from tmapi_client.types import Unset

from tmapi_search import spec
from tmapi_search.auth import ApiTokenAuth, install_log_redaction
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
BASE_URL = "https://api.tmapi.io"
ERROR_CODES = [417, 422, 439, 499, 500, 503]
VENDOR_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def make_client() -> Client:
    return Client(base_url=BASE_URL, httpx_args={"auth": ApiTokenAuth(TOKEN)})


def assert_model_matches(model: Any, expected: Any, where: str = "body") -> None:
    """Walk the example and the parsed model together: every field reachable, same value."""
    if isinstance(expected, dict):
        assert not isinstance(model, Unset), f"{where} is missing"
        for key, value in expected.items():
            attr = key + "_" if key in {"type"} else key
            if hasattr(model, attr):
                assert_model_matches(getattr(model, attr), value, f"{where}.{key}")
            else:  # free-form objects (e.g. data.filters) keep their keys as items
                assert model[key] == value, f"{where}.{key}"
    elif isinstance(expected, list):
        assert len(model) == len(expected), where
        for i, (m, e) in enumerate(zip(model, expected, strict=True)):
            assert_model_matches(m, e, f"{where}[{i}]")
    else:
        assert model == expected and type(model) is type(expected), (where, model, expected)


@pytest.mark.parametrize("name", ["vendor_two_items", "empty_page"])
def test_every_documented_field_is_reachable(name: str) -> None:
    body = spec.response_example(name=name)
    parsed = SearchResponse.from_dict(body)
    assert_model_matches(parsed, body)
    assert parsed.to_dict() == body


def test_vendor_example_specific_values() -> None:
    parsed = SearchResponse.from_dict(spec.response_example(name="vendor_two_items"))
    first = parsed.data.items[0]
    assert first.shop_info is not None and not isinstance(first.shop_info, Unset)
    assert first.shop_info.login_id is None
    assert not isinstance(first.quantity_prices, Unset)
    assert first.quantity_prices[0].end_num == ""
    assert first.item_id == 865835426638
    assert first.type_ == "normal"
    assert parsed.data.page_size == 2 and parsed.data.total_count == 666


def test_unknown_fields_are_kept_at_every_level() -> None:
    body = spec.response_example(name="vendor_two_items")
    body["new_top"] = 1
    body["data"]["new_data"] = {"x": 1}
    item = body["data"]["items"][0]
    item["new_item_field"] = "kept"
    item["shop_info"]["new_shop_field"] = [1, 2]
    item["sale_info"]["new_sale_field"] = None
    parsed = SearchResponse.from_dict(body)
    assert parsed.additional_properties == {"new_top": 1}
    assert parsed.data.additional_properties["new_data"] == {"x": 1}
    first = parsed.data.items[0]
    assert first.additional_properties["new_item_field"] == "kept"
    assert first.to_dict()["shop_info"]["new_shop_field"] == [1, 2]
    assert parsed.to_dict() == body


def test_unknown_enum_like_values_parse() -> None:
    body = spec.response_example(name="vendor_two_items")
    body["data"]["sort"] = "brand_new_sort"
    body["data"]["items"][0]["type"] = "auction"
    parsed = SearchResponse.from_dict(body)
    assert parsed.data.sort == "brand_new_sort"
    assert parsed.data.items[0].type_ == "auction"


def test_null_nested_objects_parse() -> None:
    body = spec.response_example(name="vendor_two_items")
    for key in ("shop_info", "sale_info", "price_info", "delivery_info"):
        body["data"]["items"][0][key] = None
    item = SearchResponse.from_dict(body).data.items[0]
    assert item.shop_info is None and item.sale_info is None


@pytest.mark.parametrize("code", ERROR_CODES)
def test_error_codes_parse_sync(tmapi_mock: TmapiMock, code: int) -> None:
    tmapi_mock.search.error(code)
    with make_client() as client:
        response = search_items_by_image.sync_detailed(client=client, img_url=VENDOR_IMAGE)
    assert response.status_code == code
    assert isinstance(response.parsed, ErrorResponse)
    assert response.parsed.to_dict() == spec.error_example(code)


@pytest.mark.parametrize("code", ERROR_CODES)
async def test_error_codes_parse_async(tmapi_mock: TmapiMock, code: int) -> None:
    tmapi_mock.convert.error(code)
    async with make_client() as client:
        response = await convert_image_url.asyncio_detailed(
            client=client, body=ConvertImageUrlRequest(url="https://example.com/a.jpg")
        )
    assert response.status_code == code
    assert isinstance(response.parsed, ErrorResponse)
    assert response.parsed.code == code


def test_iana_statuses_stay_httpstatus(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.error(503)
    with make_client() as client:
        response = search_items_by_image.sync_detailed(client=client, img_url=VENDOR_IMAGE)
    assert response.status_code is HTTPStatus.SERVICE_UNAVAILABLE


def test_request_carries_api_token(tmapi_mock: TmapiMock) -> None:
    with make_client() as client:
        response = search_items_by_image.sync_detailed(client=client, img_url=VENDOR_IMAGE, page=2)
    assert isinstance(response.parsed, SearchResponse)
    params = tmapi_mock.search.params()
    assert params["apiToken"] == TOKEN
    assert params["img_url"] == VENDOR_IMAGE
    assert params["page"] == "2"


def test_convert_returns_path(tmapi_mock: TmapiMock) -> None:
    with make_client() as client:
        parsed = convert_image_url.sync(
            client=client, body=ConvertImageUrlRequest(url="https://example.com/a.jpg")
        )
    assert parsed is not None and not isinstance(parsed, ErrorResponse)
    assert (
        parsed.data.image_url
        == spec.response_example(spec.CONVERT_PATH, "post")["data"]["image_url"]
    )
    assert tmapi_mock.convert.params()["apiToken"] == TOKEN


def test_token_hidden_from_reprs() -> None:
    auth = ApiTokenAuth(TOKEN)
    client = make_client()
    for text in (repr(auth), str(auth), repr(client)):
        assert TOKEN not in text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(auth)


def test_httpx_info_line_is_redacted(
    tmapi_mock: TmapiMock, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()
    with caplog.at_level(logging.DEBUG), make_client() as client:
        search_items_by_image.sync_detailed(client=client, img_url=VENDOR_IMAGE)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text
    assert "apiToken=***" in caplog.text


@pytest.mark.parametrize("bad", ["", "  ", "a b", "tok\n"])
def test_auth_rejects_bad_tokens(bad: str) -> None:
    with pytest.raises(ValueError, match="api_token"):
        ApiTokenAuth(bad)


def test_unmocked_requests_fail(tmapi_mock: TmapiMock) -> None:
    with httpx.Client() as raw, pytest.raises(Exception, match="not mocked|RESPX"):
        raw.get("https://api.tmapi.io/other")
