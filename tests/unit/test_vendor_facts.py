"""The SDK follows the vendor as it is.

1. errors as the vendor sends them (the observed 401 `{code: 4011, message}`);
2. both ways to authenticate (`?apiToken=` / `apikey` header), short tokens refused;
3. the v2 image search (validation, conversion, paging on `has_next_page`);
5. tolerance of sibling shapes (counts as strings, null lists) without loss.

Bodies come from the spec's examples (tmapi_search.spec) or the captured files in
tests/contract/vendor/, never re-typed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tmapi_search import (
    APIStatusError,
    AsyncTmapiClient,
    AuthenticationError,
    ParameterError,
    TmapiClient,
    spec,
)
from tmapi_search.errors import error_class_for_code, is_retryable
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
OTHER_IMAGE = "https://example.com/photos/lotus.jpg"
CONVERTED = "/search/imgextra/1692942898123_q7ftzxs9.jpg"
VENDOR = Path(__file__).parents[1] / "contract" / "vendor"
OBSERVED_401 = json.loads((VENDOR / "observed-401-no-api-key.json").read_text(encoding="utf-8"))
V2_DOC = json.loads(
    (VENDOR / "vendor-doc-global-search-image-v2.example-200.json").read_text(encoding="utf-8")
)

pytestmark = pytest.mark.usefixtures("tmapi_no_backoff")


def run(mode: str, call: Callable[[Any], Any], **client_kwargs: Any) -> Any:
    """`call(client)` with a fresh sync or async client (async: awaited / collected)."""
    if mode == "sync":
        with TmapiClient(TOKEN, **client_kwargs) as client:
            result = call(client)
            return list(result) if hasattr(result, "__next__") else result

    async def main() -> Any:
        async with AsyncTmapiClient(TOKEN, **client_kwargs) as client:
            result = call(client)
            if hasattr(result, "__aiter__"):
                return [item async for item in result]
            return await result

    return asyncio.run(main())


# -- the spec holds the vendor's facts ---------------------------------------------------
def test_spec_401_is_the_body_observed_live() -> None:
    for path, method in (
        (spec.SEARCH_PATH, "get"),
        (spec.SEARCH_V2_PATH, "get"),
        (spec.CONVERT_PATH, "post"),
    ):
        assert 401 in spec.documented_statuses(path, method)
        assert spec.response_examples(path, method, 401) == {"observed_no_api_key": OBSERVED_401}


def test_spec_v2_example_is_the_vendors() -> None:
    assert spec.response_example(spec.SEARCH_V2_PATH, "get", 200, "vendor_three_items") == V2_DOC


def _error_schema() -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec.load_spec(), default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator(
        {"$ref": "urn:spec#/components/schemas/ErrorResponse"}, registry=registry
    )


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        (OBSERVED_401, True),
        ({"code": 422, "msg": "Parameter error"}, True),
        ({"code": 422, "msg": "a", "message": "b"}, True),
        ({"code": 422}, False),  # neither msg nor message
        ({"message": "no code"}, False),
        ({"code": "4011", "message": "x"}, False),  # code is an integer
    ],
)
def test_error_response_accepts_msg_or_message(body: dict[str, Any], valid: bool) -> None:
    assert _error_schema().is_valid(body) is valid


def test_spec_has_both_security_schemes_either_accepted() -> None:
    document = spec.load_spec()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiToken"] == {**schemes["apiToken"], "in": "query", "name": "apiToken"}
    assert schemes["apikey"] == {**schemes["apikey"], "in": "header", "name": "apikey"}
    assert document["security"] == [{"apiToken": []}, {"apikey": []}]
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "security" not in operation  # the global alternatives apply everywhere


# -- 1. errors as the vendor sends them -------------------------------------------------
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("in_body", [False, True], ids=["http-401", "code-4011-in-200"])
def test_401_is_authentication_error_with_the_vendors_words(
    mode: str, in_body: bool, tmapi_mock: TmapiMock
) -> None:
    tmapi_mock.search.error(401, in_body=in_body)
    with pytest.raises(AuthenticationError) as info:
        run(mode, lambda c: c.search_by_image(ALI_IMAGE))
    error = info.value
    assert isinstance(error, APIStatusError)
    assert (error.status_code, error.code) == (200 if in_body else 401, 4011)
    assert error.msg == OBSERVED_401["message"]
    assert OBSERVED_401["message"] in str(error)
    assert error.body == OBSERVED_401
    assert error.attempts == 1 and tmapi_mock.search.call_count == 1  # never retried
    assert not is_retryable(error)


def test_401_without_a_body_code_is_still_authentication_error(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.respond(401, content=b"Unauthorized")
    with pytest.raises(AuthenticationError) as info:
        run("sync", lambda c: c.search_by_image(ALI_IMAGE))
    assert info.value.code is None and info.value.body == "Unauthorized"


def test_error_class_for_codes() -> None:
    assert error_class_for_code(401) is AuthenticationError
    assert error_class_for_code(4011) is AuthenticationError
    assert error_class_for_code(4012) is APIStatusError


@pytest.mark.parametrize("key", ["msg", "message"])
def test_every_error_takes_msg_or_message(key: str, tmapi_mock: TmapiMock) -> None:
    words = spec.error_example(422)["msg"]
    tmapi_mock.search.respond(422, json={"code": 422, key: words})
    with pytest.raises(ParameterError) as info:
        run("sync", lambda c: c.search_by_image(ALI_IMAGE))
    assert info.value.msg == words and words in str(info.value)


def test_msg_wins_over_message_and_empty_msg_falls_back(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.respond(422, json={"code": 422, "msg": "", "message": "from message"})
    with pytest.raises(ParameterError) as info:
        run("sync", lambda c: c.search_by_image(ALI_IMAGE))
    assert info.value.msg == "from message"


def test_tmapi_mock_answers_a_tokenless_request_with_the_observed_401(
    tmapi_mock: TmapiMock,
) -> None:
    import httpx

    for path in (spec.SEARCH_PATH, spec.SEARCH_V2_PATH):
        response = httpx.get(f"https://api.tmapi.io{path}", params={"img_url": CONVERTED})
        assert response.status_code == 401 and response.json() == OBSERVED_401
    response = httpx.get(
        f"https://api.tmapi.io{spec.SEARCH_V2_PATH}",
        params={"img_url": CONVERTED},
        headers={"apikey": TOKEN},
    )
    assert response.status_code == 200


# -- 2. both ways to authenticate ------------------------------------------------------
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("auth", ["query", "header"])
def test_auth_mode_decides_where_the_token_goes(
    mode: str, auth: str, tmapi_mock: TmapiMock
) -> None:
    run(mode, lambda c: c.search_by_image(OTHER_IMAGE), auth=auth)  # convert + search
    for request in tmapi_mock.requests:
        if auth == "header":
            assert request.headers["apikey"] == TOKEN
            assert TOKEN not in str(request.url) and "apiToken" not in str(request.url)
        else:
            assert request.url.params["apiToken"] == TOKEN and "apikey" not in request.headers


def test_auth_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmapi_mock: TmapiMock
) -> None:
    monkeypatch.setenv("TMAPI_AUTH", "Header")
    with TmapiClient(TOKEN) as client:
        assert client.auth_mode == "header"
        client.search_by_image(ALI_IMAGE)
    assert tmapi_mock.search.last_request.headers["apikey"] == TOKEN
    with TmapiClient(TOKEN, auth="query") as client:  # the argument wins
        assert client.auth_mode == "query"
    monkeypatch.delenv("TMAPI_AUTH")
    with TmapiClient(TOKEN) as client:
        assert client.auth_mode == "query"  # the default: the seed page's documented way


@pytest.mark.parametrize(
    ("kwargs", "env", "match"),
    [
        ({"auth": "bearer"}, None, "^auth: must be one of query, header"),
        ({}, "cookie", "^TMAPI_AUTH: must be one of query, header"),
        ({"api_token": "short7c"}, None, "^api_token: too short .7 characters, at least 8"),
    ],
)
def test_bad_auth_settings_are_refused_before_sending(
    kwargs: dict[str, Any],
    env: str | None,
    match: str,
    monkeypatch: pytest.MonkeyPatch,
    tmapi_mock: TmapiMock,
) -> None:
    if env is not None:
        monkeypatch.setenv("TMAPI_AUTH", env)
    kwargs.setdefault("api_token", TOKEN)
    for cls in (TmapiClient, AsyncTmapiClient):
        with pytest.raises(ValueError, match=match) as info:
            cls(**kwargs)
        assert "short7c" not in str(info.value)
    assert tmapi_mock.call_count == 0


def test_repr_shows_the_mode_not_the_token() -> None:
    with TmapiClient(TOKEN, auth="header") as client:
        assert "auth='header'" in repr(client) and TOKEN not in repr(client)


# -- 3. image search v2 ----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_v2_returns_the_vendors_page(mode: str, tmapi_mock: TmapiMock) -> None:
    data = run(mode, lambda c: c.search_by_image_v2(CONVERTED, price_start=2, page_size=50))
    assert tmapi_mock.convert.call_count == 0  # a converted path is searched as is
    params = tmapi_mock.search_v2.params()
    assert params["img_url"] == CONVERTED
    assert (params["page_size"], params["price_start"]) == ("50", "2")
    assert "price_end" not in params
    doc = V2_DOC["data"]
    assert (data.total_count, data.has_next_page, data.keyword) == (
        doc["total_count"],
        True,
        "",
    )
    assert data.cat_id is None and data.filters.to_dict() == {"price_start": "2"}
    first, raw = data.items[0], doc["items"][0]
    assert first.item_id == raw["item_id"] and first.currency == "CNY" and first.moq is None
    assert first.price_info.sale_price == raw["price_info"]["sale_price"]
    assert first.sale_info.sale_quantity_90days == "0"  # a string, as the vendor sends it
    assert first.shop_info.score_info.composite_score == "4.0"
    assert first.shop_info.shop_years == raw["shop_info"]["shop_years"]
    assert first.delivery_info.ship_in_48h is False and data.items[2].ship_in_48h is True
    assert first.to_dict() == raw  # nothing lost


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("img_url", [ALI_IMAGE, OTHER_IMAGE])
def test_v2_always_converts_a_url(mode: str, img_url: str, tmapi_mock: TmapiMock) -> None:
    """v2 takes converted paths only: even an Alibaba-hosted URL is converted, for v2."""
    run(mode, lambda c: c.search_by_image_v2(img_url))
    assert json.loads(tmapi_mock.convert.last_request.content) == {
        "url": img_url,
        "search_api_endpoint": "/global/search/image/v2",
    }
    path = spec.response_example(spec.CONVERT_PATH, "post", 200)["data"]["image_url"]
    assert tmapi_mock.search_v2.params()["img_url"] == path


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"language": "th"}, "^language: must be one of en, ja, ko, ru, vi, zh for the v2"),
        ({"page_size": 0}, "^page_size: must be >= 1"),
        ({"page": 0}, "^page: "),
        ({"sort": "newest"}, "^sort: "),
        ({"price_start": "cheap"}, "^price_start: must be a decimal number"),
        ({"price_end": -1}, "^price_end: must be a finite number >= 0"),
        ({"price_start": True}, "^price_start: must be a price"),
        ({"price_start": "10", "price_end": "2"}, "^price_start: must not exceed price_end"),
        ({"free_shipping": "yes"}, "^free_shipping: "),
        ({"img_url": "lotus.jpg"}, "^img_url: "),
    ],
)
def test_v2_arguments_are_checked_before_anything_is_sent(
    kwargs: dict[str, Any], match: str, tmapi_mock: TmapiMock
) -> None:
    img_url = kwargs.pop("img_url", CONVERTED)
    with TmapiClient(TOKEN) as client:
        with pytest.raises(ValueError, match=match):
            client.search_by_image_v2(img_url, **kwargs)
        with pytest.raises(ValueError, match=match):
            client.iter_search_by_image_v2(img_url, **kwargs)
    assert tmapi_mock.call_count == 0


def test_v2_page_size_has_no_maximum_and_prices_are_sent_as_strings(
    tmapi_mock: TmapiMock,
) -> None:
    from decimal import Decimal

    with TmapiClient(TOKEN) as client:
        client.search_by_image_v2(
            CONVERTED, page_size=100, price_start=1.5, price_end=Decimal("20")
        )
    params = tmapi_mock.search_v2.params()
    assert (params["page_size"], params["price_start"], params["price_end"]) == ("100", "1.5", "20")


_V2_ITEM_IDS = itertools.count(5000)


def _v2_page(count: int, has_next: bool | None, total: int = 688) -> Callable[[Any], None]:
    """A v2 page of `count` new offers (paging stops at a page of offers already seen)."""

    def transform(body: dict[str, Any]) -> None:
        items = body["data"]["items"]
        body["data"]["items"] = [
            dict(items[i % len(items)], item_id=next(_V2_ITEM_IDS)) for i in range(count)
        ]
        body["data"]["page_size"] = count
        body["data"]["total_count"] = total
        if has_next is None:
            body["data"].pop("has_next_page")
        else:
            body["data"]["has_next_page"] = has_next

    return transform


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_v2_paging_stops_on_has_next_page_false(mode: str, tmapi_mock: TmapiMock) -> None:
    # total_count says 688, but the API says there is no third page
    for has_next in (True, True, False):
        tmapi_mock.search_v2.success(transform=_v2_page(3, has_next))
    items = run(mode, lambda c: c.iter_search_by_image_v2(CONVERTED, page_size=3))
    items = list(items)
    assert len(items) == 9
    pages = [tmapi_mock.search_v2.params(i)["page"] for i in range(3)]
    assert pages == ["1", "2", "3"] and tmapi_mock.search_v2.call_count == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_v2_paging_trusts_has_next_page_true_over_total_count(
    mode: str, tmapi_mock: TmapiMock
) -> None:
    tmapi_mock.search_v2.success(transform=_v2_page(3, True, total=3))
    tmapi_mock.search_v2.success(transform=_v2_page(2, False, total=3))
    items = list(run(mode, lambda c: c.iter_search_by_image_v2(CONVERTED, page_size=3)))
    assert len(items) == 5


def test_v2_paging_without_has_next_page_falls_back_to_total_count(
    tmapi_mock: TmapiMock,
) -> None:
    tmapi_mock.search_v2.success(transform=_v2_page(3, None, total=5))
    tmapi_mock.search_v2.success(transform=_v2_page(2, None, total=5))
    with TmapiClient(TOKEN) as client:
        items = list(client.iter_search_by_image_v2(OTHER_IMAGE, page_size=3, max_items=50))
    assert len(items) == 5
    assert tmapi_mock.convert.call_count == 1  # converted once, before the first page


def test_v2_has_next_page_of_the_wrong_type_is_malformed(tmapi_mock: TmapiMock) -> None:
    from tmapi_search import MalformedResponseError

    tmapi_mock.search_v2.success(transform=lambda b: b["data"].update(has_next_page="yes"))
    with TmapiClient(TOKEN) as client, pytest.raises(MalformedResponseError, match="has_next"):
        client.search_by_image_v2(CONVERTED)


# -- 5. tolerance of the siblings' shapes (v1 keeps its documented types) ----------------
def _sibling_shapes(body: dict[str, Any]) -> None:
    """What the vendor's sibling endpoints send: counts as strings, null for lists."""
    item = body["data"]["items"][0]
    for key in ("sale_quantity", "sale_quantity_90days", "orders_count"):
        item["sale_info"][key] = str(item["sale_info"][key])
    item["shop_info"]["service_tags"] = None
    item["title_tags"] = None
    item["quantity_prices"] = None
    item["delivery_info"]["area_from"] = None
    item["quantity_begin"] = "1"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_v1_parses_sibling_shapes_without_loss(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("vendor_two_items", transform=_sibling_shapes)
    sent = tmapi_mock.search.example("vendor_two_items")
    _sibling_shapes(sent)
    data = run(mode, lambda c: c.search_by_image(ALI_IMAGE))
    item = data.items[0]
    assert item.sale_info.sale_quantity_90days == "12" and item.quantity_begin == "1"
    assert item.shop_info.service_tags is None and item.title_tags is None
    assert item["quantity_prices"] is None and item.delivery_info.area_from is None
    assert item.to_dict() == sent["data"]["items"][0]  # every value kept as sent


def test_v2_parses_null_lists_and_numeric_counts_without_loss(tmapi_mock: TmapiMock) -> None:
    def shapes(body: dict[str, Any]) -> None:
        item = body["data"]["items"][0]
        item["category_path"] = None
        item["delivery_info"]["area_from"] = None
        item["sale_info"]["sale_quantity_90days"] = 7  # a number where the example has "0"

    tmapi_mock.search_v2.success(transform=shapes)
    sent = tmapi_mock.search_v2.example()
    shapes(sent)
    with TmapiClient(TOKEN) as client:
        data = client.search_by_image_v2(CONVERTED)
    assert data.items[0].to_dict() == sent["data"]["items"][0]


def test_tmapi_mock_checks_v2_requests_against_the_contract(tmapi_mock: TmapiMock) -> None:
    import httpx

    url = f"https://api.tmapi.io{spec.SEARCH_V2_PATH}"
    for params, status in (
        ({"language": "th"}, 422),  # a v1 language, not a v2 one
        ({"page_size": "50"}, 200),  # no maximum on v2
        ({"page_size": "0"}, 422),
    ):
        response = httpx.get(
            url, params={"img_url": CONVERTED, **params}, headers={"apikey": TOKEN}
        )
        assert response.status_code == status, params
    assert tmapi_mock.search_v2.call_count == 3
