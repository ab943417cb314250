"""In-process checks of the bounds: deadlines across retries, limits, scrubbing, logging."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx
import pytest

from tmapi_search import (
    APITimeoutError,
    AsyncTmapiClient,
    ConcurrencyLimitError,
    DeadlineExceededError,
    MalformedValueError,
    ParameterError,
    RateLimitError,
    ResponseTooLargeError,
    TmapiClient,
    spec,
)
from tmapi_search._json import JSONRejected, checked_loads
from tmapi_search._scrub import token_pattern
from tmapi_search.drift import DriftEvent
from tmapi_search.errors import is_retryable
from tmapi_search.retries import RETRY_AFTER_CAP, backoff_delay

from .server import HostileServer

TOKEN = "tok-UNIT-hostile-77aa"
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def mock_client(handler: Any, **options: Any) -> TmapiClient:
    pool = httpx.Client(transport=httpx.MockTransport(handler))
    return TmapiClient(TOKEN, base_url="https://api.tmapi.io", http_client=pool, **options)


# -- deadlines --------------------------------------------------------------------------
def test_deadline_bounds_the_call_with_its_retries_sync() -> None:
    with HostileServer("drip", lifetime=30, drip_every=0.5) as server:
        client = TmapiClient(TOKEN, base_url=server.base_url, timeout=2, max_retries=5, deadline=3)
        started = time.monotonic()
        # the last attempt's timeouts are cut to what is left: its read may time out first
        with client, pytest.raises(APITimeoutError) as caught:
            client.search_by_image(ALI, convert=False)
    assert time.monotonic() - started < 3 + 2  # never 6 attempts x 2 s
    assert caught.value.attempts <= 2


async def test_deadline_bounds_the_call_with_its_retries_async() -> None:
    with HostileServer("drip", lifetime=30, drip_every=0.5) as server:
        client = AsyncTmapiClient(
            TOKEN, base_url=server.base_url, timeout=2, max_retries=5, deadline=3
        )
        started = time.monotonic()
        async with client:
            with pytest.raises(DeadlineExceededError):
                await client.search_by_image(ALI, convert=False)
    assert time.monotonic() - started < 3 + 1


async def test_the_bulk_senders_attempt_is_bounded_too() -> None:
    with HostileServer("drip", lifetime=30, drip_every=0.5) as server:
        async with AsyncTmapiClient(TOKEN, base_url=server.base_url, timeout=1.5) as client:
            send = client._search_sender(ALI)
            started = time.monotonic()
            with pytest.raises(DeadlineExceededError):
                await asyncio.wait_for(send(), timeout=20)
    assert time.monotonic() - started < 1.5 + 2


def test_no_retry_whose_wait_passes_the_deadline() -> None:
    calls = 0

    def busy(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(
            503, json=spec.error_example(503), headers={"Retry-After": "30"}, request=request
        )

    client = mock_client(busy, max_retries=3, deadline=5)
    with client, pytest.raises(ConcurrencyLimitError):
        client.search_by_image(ALI, convert=False)
    assert calls == 1  # a 30 s wait would pass the 5 s deadline: not retried


@pytest.mark.parametrize("value", [0, -1, "5", True])
def test_deadline_and_size_are_checked(value: Any) -> None:
    with pytest.raises(ValueError, match="deadline"):
        TmapiClient(TOKEN, deadline=value)
    with pytest.raises(ValueError, match="max_response_bytes"):
        TmapiClient(TOKEN, max_response_bytes=value)


# -- sizes --------------------------------------------------------------------------------
def test_a_body_over_the_limit_raises_naming_it() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=spec.response_example(), request=request)

    client = mock_client(page, max_response_bytes=100)
    with client, pytest.raises(ResponseTooLargeError) as caught:
        client.search_by_image(ALI, convert=False)
    assert caught.value.limit == 100
    assert "max_response_bytes=100" in str(caught.value)
    assert not is_retryable(caught.value)


# -- 429 ------------------------------------------------------------------------------------
def test_429_is_a_transient_rate_limit_with_a_capped_retry_after() -> None:
    def limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, text="<html>slow down</html>", headers={"Retry-After": "900"})

    with mock_client(limited, max_retries=0) as client, pytest.raises(RateLimitError) as caught:
        client.search_by_image(ALI, convert=False)
    error = caught.value
    assert error.status_code == 429 and is_retryable(error)
    assert error.retry_after == 900
    assert backoff_delay(error, 0) == RETRY_AFTER_CAP  # capped like a 503's


# -- JSON refusals ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"a": [1, NaN]}', "$.a[1]"),
        (b'{"a": {"b": -Infinity}}', "$.a.b"),
        (b'{"a": 1e999}', "$.a"),
        (b"[" * 5000 + b"]" * 5000, "$[0]"),
    ],
)
def test_checked_loads_refuses_and_names_the_path(body: bytes, path: str) -> None:
    with pytest.raises(JSONRejected) as caught:
        checked_loads(body)
    assert caught.value.path.startswith(path)


def test_checked_loads_reads_every_spec_example_as_json_does() -> None:
    for path, method, status, name in spec.named_response_examples():
        example = spec.response_examples(path, method, status)[name]
        body = json.dumps(example).encode()
        assert checked_loads(body) == json.loads(body)


@pytest.mark.parametrize("item_id", ["1.0", "true", str(2**63), str(-(2**63) - 1)])
def test_item_id_is_an_int64_or_the_answer_is_refused(item_id: str) -> None:
    body = json.dumps(spec.response_example()).encode()
    first = spec.response_example()["data"]["items"][0]["item_id"]
    body = body.replace(str(first).encode(), item_id.encode(), 1)

    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, request=request)

    with mock_client(page) as client, pytest.raises(MalformedValueError) as caught:
        client.search_by_image(ALI, convert=False)
    assert caught.value.path == "$.data.items[0].item_id"


def test_an_oversized_page_is_cut_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    example = spec.response_example()
    items = example["data"]["items"]
    example["data"]["items"] = [dict(items[0], item_id=100 + i) for i in range(30)]

    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=example, request=request)

    with caplog.at_level(logging.WARNING, "tmapi_search"), mock_client(page) as client:
        events: list[DriftEvent] = []
        client.on_drift = events.append
        data = client.search_by_image(ALI, convert=False, page_size=5)
    assert [item.item_id for item in data.items] == [100, 101, 102, 103, 104]
    assert "held 30 items for page_size=5: cut to 5" in caplog.text
    sized = [event for event in events if event.kind == "size"]
    assert [(e.path, e.expected, e.example, e.operation) for e in sized] == [
        ("data.items", "at most 5 items (page_size)", "30 items", "search_by_image")
    ]


# -- the token ------------------------------------------------------------------------------
def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(char):04x}" for char in text)


def test_error_attributes_are_scrubbed_after_decoding() -> None:
    body = (
        '{"code": 422, "msg": "token ' + _escaped(TOKEN) + ' refused", "data": {"url": "'
        "https://x.invalid/?t=" + TOKEN.replace("-", "%2D") + '", "' + _escaped(TOKEN) + '": 1}}'
    )

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, content=body.encode(), request=request)

    with mock_client(echo) as client, pytest.raises(ParameterError) as caught:
        client.search_by_image(ALI, convert=False)
    error: Any = caught.value
    seen = " ".join(
        [str(error), repr(error), repr(error.args), repr(vars(error)), json.dumps(error.body)]
    )
    assert error.msg == "token *** refused"
    assert not token_pattern(TOKEN).search(seen)


def test_every_httpx_and_httpcore_logger_is_redacted_at_every_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with mock_client(lambda request: httpx.Response(200)):  # installs the redaction
        for name in ("httpcore.http11", "httpcore.connection", "httpx", "httpcore"):
            for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
                with caplog.at_level(logging.DEBUG, name):
                    logging.getLogger(name).log(
                        level, "headers %r", [(b"X-Echo", TOKEN.replace("-", "%2d").encode())]
                    )
    assert caplog.records
    assert not token_pattern(TOKEN).search(caplog.text)
