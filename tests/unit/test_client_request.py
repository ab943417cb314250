"""The request the client builds is the one httpx builds from `params=`, byte for byte.

The client encodes the query itself (each `name=value` pair by httpx's own
`QueryParams`, kept for the next call) and hands httpx one URL, instead of a URL and
`params=` (~150 us per call). These tests build the reference request the
plain way (the generated `_get_kwargs`, the token added as a parameter or a header,
httpx merging the parameters) and compare URL, method, headers and body, for any
valid argument values, both token modes, a repeated call (the kept pairs) and a full
pair cache; a user's pool with default parameters of its own keeps httpx's merge. The
token stays out of the client's repr and of every attribute but ApiTokenAuth.
"""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tmapi_client import models
from tmapi_client.api.search import search_items_by_image, search_items_by_image_v2
from tmapi_client.api.tools import convert_image_url
from tmapi_client.types import UNSET

from tmapi_search import TmapiClient, validation
from tmapi_search.client import _QUERY_PAIRS_KEPT

TOKEN = "tok-SECRET/+=&%41-4f1c9a7e"  # characters that need percent-encoding
BASE = "https://api.tmapi.io"
FILTERS = (
    "support_dropshipping",
    "is_factory",
    "verified_supplier",
    "free_shipping",
    "new_arrival",
)

image_urls = st.builds(
    lambda host, path, query: f"https://{host}/{path}{query}",
    st.sampled_from(["cbu01.alicdn.com", "img.alicdn.com", "例子.cn", "h:8080"]),
    st.text(
        st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
        max_size=40,
    ),
    st.sampled_from(["", "?a=1&b=%20", "#frag", "?q=a+b%2Fc"]),
) | st.builds(
    lambda tail: f"/search/{tail}", st.text(st.characters(categories=("L", "N", "P")), max_size=20)
)

POOL = httpx.Client()  # builds requests only (an SSL context per client is slow)
CLIENTS = {mode: TmapiClient(TOKEN, base_url=BASE, auth=mode) for mode in ("query", "header")}

filters = st.fixed_dictionaries({name: st.none() | st.booleans() for name in FILTERS})


def reference(kwargs: dict[str, Any], mode: str) -> httpx.Request:
    """What main built: `params=` (token appended) or an `apikey` header; httpx merges."""
    kwargs = dict(kwargs, url=BASE + kwargs["url"])
    if mode == "header":
        kwargs["headers"] = {**kwargs.get("headers", {}), "apikey": TOKEN}
    else:
        kwargs["params"] = {**kwargs.get("params", {}), "apiToken": TOKEN}
    return POOL.build_request(**kwargs)


def built(client: TmapiClient, kwargs: dict[str, Any]) -> httpx.Request:
    """The request as sent: built from the kwargs (no token), signed by the client's auth."""
    return client._auth.signed(client.http_client.build_request(**kwargs))


def same(a: httpx.Request, b: httpx.Request) -> None:
    assert str(a.url) == str(b.url)
    assert a.url.raw_path == b.url.raw_path
    assert a.method == b.method
    # the same headers (the token's is added last, at send time)
    assert sorted(a.headers.multi_items()) == sorted(b.headers.multi_items())
    assert a.read() == b.read()


def unset(value: Any) -> Any:
    return UNSET if value is None else value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    img_url=image_urls,
    page=st.integers(1, 10**6),
    page_size=st.integers(1, 20),
    language=st.sampled_from(validation.LANGUAGES),
    sort=st.sampled_from(validation.SORTS),
    chosen=filters,
    mode=st.sampled_from(["query", "header"]),
)
def test_search_request_is_what_httpx_builds_from_params(
    img_url: str,
    page: int,
    page_size: int,
    language: str,
    sort: str,
    chosen: dict[str, bool | None],
    mode: str,
) -> None:
    generated = search_items_by_image._get_kwargs(
        img_url=validation.encode_image_url(img_url),  # as a browser sends it
        page=page,
        page_size=page_size,
        language=models.Language(language),
        sort=models.Sort(sort),
        **{name: unset(value) for name, value in chosen.items()},
    )
    client = CLIENTS[mode]
    for _ in range(2):  # the second time from the kept pairs
        kwargs = client._search_kwargs(img_url, page, page_size, language, sort, chosen)
        assert "params" not in kwargs
        same(built(client, kwargs), reference(generated, mode))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    img_url=image_urls,
    prices=st.tuples(st.none() | st.sampled_from(["0", "2", "19.90"]), st.none() | st.just("100")),
    chosen=filters,
    mode=st.sampled_from(["query", "header"]),
)
def test_v2_request_is_what_httpx_builds_from_params(
    img_url: str, prices: tuple[str | None, str | None], chosen: dict[str, bool | None], mode: str
) -> None:
    start, end = prices
    generated = search_items_by_image_v2._get_kwargs(
        img_url=validation.encode_image_url(img_url),
        page=2,
        page_size=50,
        language=models.LanguageV2("ja"),
        sort=models.Sort("default"),
        price_start=unset(start),
        price_end=unset(end),
        **{name: unset(value) for name, value in chosen.items()},
    )
    client = CLIENTS[mode]
    kwargs = client._search_v2_kwargs(
        img_url, 2, 50, "ja", "default", {"price_start": start, "price_end": end}, chosen
    )
    same(built(client, kwargs), reference(generated, mode))


@pytest.mark.parametrize("mode", ["query", "header"])
def test_convert_request_is_what_httpx_builds(mode: str) -> None:
    url = "https://example.com/a b/图.jpg?x=1"
    body = models.ConvertImageUrlRequest(
        url=validation.encode_image_url(url),
        search_api_endpoint=models.SearchApiEndpoint("/global/search/image"),
    )
    generated = convert_image_url._get_kwargs(body=body)
    with TmapiClient(TOKEN, base_url=BASE, auth=mode) as client:  # type: ignore[arg-type]
        kwargs = client._convert_kwargs(url, "/global/search/image")
        same(built(client, kwargs), reference(generated, mode))


def test_kept_pairs_are_bounded_and_tell_true_from_one() -> None:
    with TmapiClient(TOKEN, base_url=BASE) as client:
        for number in range(_QUERY_PAIRS_KEPT * 3):
            image = f"https://img.alicdn.com/{number}.jpg"
            kwargs = client._search_kwargs(image, 1 + number % 3, 20, "en", "default", {})
            assert len(client._query_pairs) <= _QUERY_PAIRS_KEPT
            if number % 97 == 0 or number == _QUERY_PAIRS_KEPT:
                generated = search_items_by_image._get_kwargs(
                    img_url=image,
                    page=1 + number % 3,
                    language=models.Language("en"),
                    sort=models.Sort("default"),
                )
                same(built(client, kwargs), reference(generated, "query"))
        assert client._query_pair("x", 1) == "x=1"
        assert client._query_pair("x", True) == "x=true"  # not the kept "x=1"
        assert client._query_pair("x", ["a", "b"]) == "x=a&x=b"


def test_pool_with_default_params_keeps_httpx_merge() -> None:
    pool = httpx.Client(params={"trace": "1", "page": "99"})
    generated = search_items_by_image._get_kwargs(img_url="https://img.alicdn.com/a.jpg", page=3)
    with TmapiClient(TOKEN, base_url=BASE, http_client=pool) as client:
        kwargs = client._search_kwargs("https://img.alicdn.com/a.jpg", 3, 20, "en", "default", {})
        assert "params" in kwargs
        expected = pool.build_request(
            "get",
            BASE + generated["url"],
            params={**generated["params"], "language": "en", "sort": "default", "apiToken": TOKEN},
        )
        same(built(client, kwargs), expected)
        assert built(client, kwargs).url.params["page"] == "3"  # ours win, as before
    pool.close()


@pytest.mark.parametrize("mode", ["query", "header"])
def test_token_only_inside_the_auth_object(mode: str) -> None:
    with TmapiClient(TOKEN, base_url=BASE, auth=mode) as client:  # type: ignore[arg-type]
        client._search_kwargs("https://img.alicdn.com/a.jpg", 1, 20, "en", "default", {})
        encoded = client._auth._query_pair.reveal().split("=", 1)[1]
        kwargs = client._search_kwargs("https://img.alicdn.com/a.jpg", 1, 20, "en", "default", {})
        assert TOKEN not in repr(kwargs) and encoded not in repr(kwargs)
        for name, value in vars(client).items():
            if name == "_auth":
                continue
            assert TOKEN not in repr(value), name
            assert encoded not in repr(value), name
        assert TOKEN not in repr(client) and encoded not in repr(client)
        assert TOKEN not in repr(client._auth) and encoded not in repr(client._auth)
        with pytest.raises(TypeError):
            pickle.dumps(client._auth)
