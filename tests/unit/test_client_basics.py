"""TmapiClient / AsyncTmapiClient: construction, the happy path, per-call options, pool."""

from __future__ import annotations

import warnings

import httpx
import pytest
from tmapi_client.models import SearchData, SearchItem

from tmapi_search import (
    AsyncTmapiClient,
    ConcurrencyLimitError,
    InsecureTransportWarning,
    RetryEvent,
    TmapiClient,
)
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"

pytestmark = pytest.mark.usefixtures("tmapi_no_backoff")


def test_search_returns_the_generated_model(tmapi_mock: TmapiMock) -> None:
    with TmapiClient(TOKEN) as client:
        data = client.search_by_image(ALI_IMAGE)
    assert isinstance(data, SearchData)
    example = tmapi_mock.search.example("vendor_two_items")["data"]
    assert data.total_count == example["total_count"]
    assert [item.item_id for item in data.items] == [i["item_id"] for i in example["items"]]
    assert all(isinstance(item, SearchItem) for item in data.items)
    params = tmapi_mock.search.params()
    assert params["img_url"] == ALI_IMAGE
    assert params["apiToken"] == TOKEN
    assert (params["page"], params["page_size"], params["language"], params["sort"]) == (
        "1",
        "20",
        "en",
        "default",
    )
    assert "is_factory" not in params


def test_filters_are_sent_as_documented_booleans(tmapi_mock: TmapiMock) -> None:
    with TmapiClient(TOKEN) as client:
        client.search_by_image(
            ALI_IMAGE,
            page=3,
            page_size=7,
            language="ja",
            sort="price_up",
            is_factory=True,
            free_shipping=False,
        )
    params = tmapi_mock.search.params()
    assert params["is_factory"] == "true" and params["free_shipping"] == "false"
    assert (params["page"], params["page_size"], params["language"], params["sort"]) == (
        "3",
        "7",
        "ja",
        "price_up",
    )


async def test_async_twin(tmapi_mock: TmapiMock) -> None:
    async with AsyncTmapiClient(TOKEN) as client:
        data = await client.search_by_image(ALI_IMAGE)
        path = await client.convert_image_url("https://example.com/a.jpg")
    assert data.total_count == 666
    assert path == tmapi_mock.convert.example()["data"]["image_url"]
    assert client.is_closed


def test_token_from_environment_and_missing_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMAPI_TOKEN", TOKEN)
    with TmapiClient() as client:
        assert client._auth.token.reveal() == TOKEN
    monkeypatch.delenv("TMAPI_TOKEN")
    with pytest.raises(ValueError, match=r"^api_token: .*TMAPI_TOKEN"):
        TmapiClient()
    with pytest.raises(ValueError, match=r"^api_token"):
        AsyncTmapiClient()


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch, tmapi_mock: TmapiMock) -> None:
    monkeypatch.setenv("TMAPI_BASE_URL", "https://mirror.example.org/")
    with TmapiClient(TOKEN) as client:
        assert client.base_url == "https://mirror.example.org"
        client.search_by_image(ALI_IMAGE)
    assert tmapi_mock.search.last_request.url.host == "mirror.example.org"


def test_plain_http_warns_except_loopback() -> None:
    with pytest.warns(InsecureTransportWarning, match="plain http"):
        TmapiClient(TOKEN, base_url="http://api.tmapi.top").close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for url in ("http://127.0.0.1:4010", "http://localhost:8080", "http://[::1]:9"):
            TmapiClient(TOKEN, base_url=url).close()
        TmapiClient(TOKEN, base_url="https://api.tmapi.io").close()


def test_per_call_timeout_and_retries(tmapi_mock: TmapiMock) -> None:
    seen: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(503, json=tmapi_mock.search.example(status=503))

    tmapi_mock.search.calls_with(record)
    client = TmapiClient(TOKEN, timeout=30.0, max_retries=5)
    with client, pytest.raises(ConcurrencyLimitError) as info:
        client.search_by_image(ALI_IMAGE, timeout=2.5, max_retries=0)
    assert info.value.attempts == 1 and tmapi_mock.search.call_count == 1
    assert seen[0]["read"] == 2.5


def test_default_timeout_is_60s_read(tmapi_mock: TmapiMock) -> None:
    with TmapiClient(TOKEN) as client:
        client.search_by_image(ALI_IMAGE)
    timeout = tmapi_mock.search.last_request.extensions["timeout"]
    assert timeout["read"] == 60.0 and timeout["connect"] <= 10.0


def test_on_retry_hook_sees_each_retry(tmapi_mock: TmapiMock) -> None:
    events: list[RetryEvent] = []
    tmapi_mock.search.error(503, headers={"Retry-After": "7"})
    tmapi_mock.search.error(499)
    tmapi_mock.search.success()
    with TmapiClient(TOKEN, on_retry=events.append) as client:
        client.search_by_image(ALI_IMAGE)
    assert [(e.attempt, e.max_attempts, type(e.error).__name__) for e in events] == [
        (1, 3, "ConcurrencyLimitError"),
        (2, 3, "UpstreamTimeoutError"),
    ]
    assert events[0].delay == 7.0  # Retry-After honoured
    assert 1.0 <= events[1].delay <= 1.5  # 0.5 s * 2**1 + jitter <= 0.5 s
    assert tmapi_mock.search.call_count == 3


def test_one_pool_per_client_reused_and_closed(tmapi_mock: TmapiMock) -> None:
    client = TmapiClient(TOKEN)
    pool = client.http_client
    client.search_by_image(ALI_IMAGE)
    client.search_by_image(ALI_IMAGE, page=2)
    assert client.http_client is pool and not client.is_closed
    client.close()
    assert pool.is_closed


def test_bring_your_own_http_client_is_used_and_left_open(tmapi_mock: TmapiMock) -> None:
    with httpx.Client() as own:
        with TmapiClient(TOKEN, http_client=own) as client:
            assert client.http_client is own
            client.search_by_image(ALI_IMAGE)
        assert not own.is_closed
    assert tmapi_mock.search.params()["apiToken"] == TOKEN


def test_import_leaves_heavy_modules_for_first_use() -> None:
    """`import tmapi_search` loads neither the generated client, stamina nor asyncio
    (import time); they are loaded by the first call that needs them."""
    import subprocess
    import sys

    code = (
        "import sys, tmapi_search\n"
        "heavy = ('tmapi_client', 'stamina', 'asyncio', 'attrs')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
        "from tmapi_search import validation\n"
        "assert 'en' in validation.LANGUAGES\n"
        "print('tmapi_client.models' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "True"]
