"""Local validation: each bad input is a ValueError naming the parameter; nothing is sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tmapi_search import AsyncTmapiClient, TmapiClient
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"

BAD_SEARCH_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("img_url", {"img_url": ""}),
    ("img_url", {"img_url": 42}),
    ("img_url", {"img_url": "ftp://cbu01.alicdn.com/a.jpg"}),
    ("img_url", {"img_url": "cbu01.alicdn.com/a.jpg"}),
    ("img_url", {"img_url": "/other/path.jpg"}),
    ("img_url", {"img_url": "https://"}),
    ("img_url", {"img_url": "https://cbu01.alicdn.com/a.jpg\n"}),
    ("img_url", {"img_url": "https://cbu01.alicdn.com/a\x00.jpg"}),
    ("img_url", {"img_url": "./photos/a.jpg"}),
    ("img_url", {"img_url": "file:///C:/photos/a.jpg"}),
    ("page", {"page": 0}),
    ("page", {"page": -3}),
    ("page", {"page": "1"}),
    ("page", {"page": True}),
    ("page_size", {"page_size": 0}),
    ("page_size", {"page_size": 21}),
    ("page_size", {"page_size": 2.5}),
    ("language", {"language": "xx"}),
    ("language", {"language": "EN"}),
    ("sort", {"sort": "newest"}),
    ("sort", {"sort": None}),
    ("support_dropshipping", {"support_dropshipping": "yes"}),
    ("is_factory", {"is_factory": 1}),
    ("new_arrival", {"new_arrival": "false"}),
    ("convert", {"convert": "always"}),
    ("convert", {"convert": 1}),
]


def _call(mode: str, kwargs: dict[str, Any]) -> None:
    kwargs = dict(kwargs)
    img_url = kwargs.pop("img_url", ALI_IMAGE)
    if mode == "sync":
        with TmapiClient(TOKEN) as client:
            client.search_by_image(img_url, **kwargs)
        return

    async def main() -> None:
        async with AsyncTmapiClient(TOKEN) as client:
            await client.search_by_image(img_url, **kwargs)

    asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("name", "kwargs"), BAD_SEARCH_ARGS)
def test_bad_search_argument(
    name: str, kwargs: dict[str, Any], mode: str, tmapi_mock: TmapiMock
) -> None:
    with pytest.raises(ValueError, match=f"^{name}: "):
        _call(mode, kwargs)
    assert tmapi_mock.call_count == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_url_with_spaces_is_sent_as_a_browser_sends_it(mode: str, tmapi_mock: TmapiMock) -> None:
    written = "https://cbu01.alicdn.com/img/ibank/my photo {1}.jpg"
    _call(mode, {"img_url": f"  {written} "})
    assert tmapi_mock.search.params()["img_url"] == (
        "https://cbu01.alicdn.com/img/ibank/my%20photo%20%7B1%7D.jpg"
    )


def test_a_local_path_says_the_photo_must_be_hosted_first(tmapi_mock: TmapiMock) -> None:
    with TmapiClient(TOKEN) as client, pytest.raises(ValueError, match="local file.*hosted first"):
        client.search_by_image("./photos/a.jpg")
    assert tmapi_mock.call_count == 0


@pytest.mark.parametrize(
    "token", ['"tok-SECRET-4f1c9a7e"', "'tok-SECRET-4f1c9a7e'", " tok-SECRET-4f1c9a7e\n"]
)
def test_a_token_as_pasted_is_refused_saying_what_to_strip(
    token: str, tmapi_mock: TmapiMock
) -> None:
    with pytest.raises(ValueError, match="^api_token: the token as given has") as caught:
        TmapiClient(token)
    message = str(caught.value)
    assert "strip" in message and "tok-SECRET" not in message
    assert ("quotes" in message) == ("'" in token or '"' in token)
    assert tmapi_mock.call_count == 0


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("url", {"url": "/search/imgextra/a.jpg"}),
        ("url", {"url": "not a url"}),
        ("url", {"url": "https://example.com/\ta.jpg"}),
        ("search_api_endpoint", {"search_api_endpoint": "/v9/search"}),
    ],
)
def test_bad_convert_argument(name: str, kwargs: dict[str, Any], tmapi_mock: TmapiMock) -> None:
    kwargs = {"url": "https://example.com/a.jpg", **kwargs}
    with TmapiClient(TOKEN) as client, pytest.raises(ValueError, match=f"^{name}: "):
        client.convert_image_url(**kwargs)
    assert tmapi_mock.call_count == 0


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("api_token", {"api_token": "has space"}),
        ("base_url", {"base_url": "ftp://api.tmapi.io"}),
        ("base_url", {"base_url": "https://api.tmapi.io/?apiToken=x"}),
        ("max_retries", {"max_retries": -1}),
        ("max_retries", {"max_retries": 1.5}),
        ("max_concurrency", {"max_concurrency": 0}),
        ("timeout", {"timeout": -1}),
        ("timeout", {"timeout": "60"}),
        ("on_retry", {"on_retry": "print"}),
    ],
)
@pytest.mark.parametrize("cls", [TmapiClient, AsyncTmapiClient])
def test_bad_constructor_argument(name: str, kwargs: dict[str, Any], cls: type[Any]) -> None:
    kwargs = {"api_token": TOKEN, **kwargs}
    with pytest.raises(ValueError, match=f"^{name}: "):
        cls(**kwargs)


def test_bad_per_call_options(tmapi_mock: TmapiMock) -> None:
    with TmapiClient(TOKEN) as client:
        with pytest.raises(ValueError, match="^max_retries: "):
            client.search_by_image(ALI_IMAGE, max_retries=-1)
        with pytest.raises(ValueError, match="^timeout: "):
            client.search_by_image(ALI_IMAGE, timeout=0)
    assert tmapi_mock.call_count == 0


def test_an_async_client_under_a_second_event_loop_says_why(tmapi_mock: TmapiMock) -> None:
    client = AsyncTmapiClient(TOKEN)
    asyncio.run(client.search_by_image(ALI_IMAGE))
    with pytest.raises(RuntimeError, match="another event loop.*one client per event loop"):
        asyncio.run(client.search_by_image(ALI_IMAGE))
    assert tmapi_mock.search.call_count == 1
