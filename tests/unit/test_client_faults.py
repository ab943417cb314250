"""The fault matrix: every documented failure, sync and async, every endpoint, both auth modes.

For each case: the exception class, the number of HTTP attempts (TMAPI's retry table:
401, 422 and 439 exactly once; transient ones `max_retries + 1` times), and that the
token occurs nowhere in the exception's str/repr/traceback, nowhere in its chain
(`__cause__`, `__context__`, their args, attributes and `.request.url` /
`.request.headers`, walked to the end), and nowhere in any captured log record
(httpx's own INFO line included), whether it is sent as `?apiToken=` or as an
`apikey` header.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tmapi_search import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncTmapiClient,
    AuthenticationError,
    ConcurrencyLimitError,
    DataRetrievalError,
    MalformedResponseError,
    ParameterError,
    ServerError,
    SubscriptionError,
    TmapiClient,
    TmapiError,
    UpstreamTimeoutError,
)
from tmapi_search.testing import EndpointMock, TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
CONVERTED = "/search/imgextra/1692942898123_q7ftzxs9.jpg"
OPERATIONS = ["search", "search_v2", "convert"]
AUTH_MODES = ["query", "header"]
MAX_RETRIES = 2
RETRIED = MAX_RETRIES + 1

pytestmark = pytest.mark.usefixtures("tmapi_no_backoff")

CODE_CLASSES: dict[int, tuple[type[APIStatusError], bool]] = {
    417: (DataRetrievalError, True),
    422: (ParameterError, False),
    439: (SubscriptionError, False),
    499: (UpstreamTimeoutError, True),
    500: (ServerError, True),
    503: (ConcurrencyLimitError, True),
}


def _proxy_page_echoing_the_url(request: httpx.Request) -> httpx.Response:
    """A proxy's error page that prints the request URL and headers (token included) back."""
    page = (
        f"<html><body><h1>502 Bad Gateway</h1><p>{request.url}</p>"
        f"<pre>{dict(request.headers)}</pre></body></html>"
    )
    return httpx.Response(502, text=page, headers={"content-type": "text/html"})


def _error_echoing_the_request(request: httpx.Request) -> httpx.Response:
    """A TMAPI-shaped 422 whose message quotes the request (token included)."""
    echo = f"{request.url} {dict(request.headers)}"
    return httpx.Response(422, json={"code": 422, "msg": f"Parameter error: {echo}"})


def _connect_error_naming_the_url(request: httpx.Request) -> httpx.Response:
    """A transport error whose message carries the URL (as some proxies' errors do)."""
    raise httpx.ConnectError(f"cannot reach {request.url}", request=request)


@dataclass(frozen=True)
class Fault:
    name: str
    queue: Callable[[EndpointMock], object]
    error: type[TmapiError]
    attempts: int


FAULTS: list[Fault] = [
    *(
        Fault(f"http_{code}", lambda ep, c=code: ep.error(c), cls, RETRIED if retried else 1)
        for code, (cls, retried) in CODE_CLASSES.items()
    ),
    *(
        Fault(
            f"in_body_{code}",
            lambda ep, c=code: ep.error(c, in_body=True),
            cls,
            RETRIED if retried else 1,
        )
        for code, (cls, retried) in CODE_CLASSES.items()
    ),
    Fault("http_401", lambda ep: ep.error(401), AuthenticationError, 1),
    Fault("in_body_4011", lambda ep: ep.error(401, in_body=True), AuthenticationError, 1),
    Fault("echoing_422", lambda ep: ep.calls_with(_error_echoing_the_request), ParameterError, 1),
    Fault(
        "connect_error_naming_url",
        lambda ep: ep.calls_with(_connect_error_naming_the_url),
        APIConnectionError,
        RETRIED,
    ),
    Fault("html_502", lambda ep: ep.malformed("html"), MalformedResponseError, RETRIED),
    Fault(
        "html_502_echoing_url",
        lambda ep: ep.calls_with(_proxy_page_echoing_the_url),
        MalformedResponseError,
        RETRIED,
    ),
    Fault("empty_body", lambda ep: ep.malformed("empty"), MalformedResponseError, 1),
    Fault("truncated_json", lambda ep: ep.malformed("truncated"), MalformedResponseError, 1),
    Fault("json_array", lambda ep: ep.malformed("not_json_object"), MalformedResponseError, 1),
    Fault("connection_refused", lambda ep: ep.connect_error(), APIConnectionError, RETRIED),
    Fault("read_timeout", lambda ep: ep.timeout(), APITimeoutError, RETRIED),
]

# Bodies that are JSON but do not say what the contract says (search only).
SHAPE_FAULTS: dict[str, Callable[[dict[str, Any]], object]] = {
    "data_null": lambda body: body.update(data=None),
    "data_missing": lambda body: body.pop("data"),
    "items_null": lambda body: body["data"].update(items=None),
    "item_without_id": lambda body: body["data"]["items"][0].pop("item_id"),
    # a count as a string of digits is read (and reported as drift: tests/unit/test_drift.py)
    "total_count_not_a_number": lambda body: body["data"].update(total_count="many"),
    "code_missing": lambda body: body.pop("code"),
}


def run_call(mode: str, operation: str, **client_kwargs: Any) -> Any:
    """Make one call with a fresh client, sync or async; return its result."""
    client_kwargs.setdefault("max_retries", MAX_RETRIES)
    if mode == "sync":
        with TmapiClient(TOKEN, **client_kwargs) as client:
            if operation == "search":
                return client.search_by_image(ALI_IMAGE)
            if operation == "search_v2":
                return client.search_by_image_v2(CONVERTED)
            return client.convert_image_url("https://example.com/a.jpg")

    async def main() -> Any:
        async with AsyncTmapiClient(TOKEN, **client_kwargs) as client:
            if operation == "search":
                return await client.search_by_image(ALI_IMAGE)
            if operation == "search_v2":
                return await client.search_by_image_v2(CONVERTED)
            return await client.convert_image_url("https://example.com/a.jpg")

    return asyncio.run(main())


def _texts_of(error: BaseException) -> list[str]:
    """Everything an error tracker could record of one exception (not its chain)."""
    texts = [str(error), repr(error), repr(error.args)]
    texts += [repr(value) for value in vars(error).values()]
    try:
        request = error.request  # type: ignore[attr-defined]  # httpx errors
    except (AttributeError, RuntimeError):
        request = None
    if isinstance(request, httpx.Request):
        texts += [str(request.url), repr(request.url), repr(dict(request.headers))]
        texts += [value for _, value in request.headers.multi_items()]
        texts.append(request.content.decode("utf-8", "replace"))
    return texts


def walk_chain(error: BaseException) -> list[BaseException]:
    """The error and every exception reachable through `__cause__` / `__context__`."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return seen


def assert_token_nowhere(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    assert TOKEN not in "".join(traceback.format_exception(error))
    for name in ("body", "msg", "message"):
        assert TOKEN not in repr(getattr(error, name, None))
    for link in walk_chain(error):
        for text in _texts_of(link):
            assert TOKEN not in text, f"token in {type(link).__name__} of the chain: {text!r}"
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


def endpoint(tmapi_mock: TmapiMock, operation: str) -> EndpointMock:
    return {
        "search": tmapi_mock.search,
        "search_v2": tmapi_mock.search_v2,
        "convert": tmapi_mock.convert,
    }[operation]


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_matrix(
    fault: Fault,
    operation: str,
    mode: str,
    auth: str,
    tmapi_mock: TmapiMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ep = endpoint(tmapi_mock, operation)
    fault.queue(ep)
    with pytest.raises(TmapiError) as info:
        run_call(mode, operation, auth=auth)
    error = info.value
    assert type(error) is fault.error
    assert ep.call_count == fault.attempts
    assert error.attempts == fault.attempts
    assert_token_nowhere(error, caplog)
    sent = ep.last_request
    if auth == "header":
        assert sent.headers["apikey"] == TOKEN and "apiToken" not in str(sent.url)
    else:
        assert sent.url.params["apiToken"] == TOKEN and "apikey" not in sent.headers
    if fault.error in (APIConnectionError, APITimeoutError):
        # the httpx error is kept as the cause (type and message), without the token
        assert isinstance(error.__cause__, httpx.RequestError)
        assert error.__context__ is None
    else:
        # httpx's own INFO line was emitted, with the token masked (query) or absent (header)
        assert "HTTP Request:" in caplog.text
        if auth == "query":
            assert "apiToken=***" in caplog.text
        else:
            assert "apiToken" not in caplog.text


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("kind", ["timeout", "connect"])
def test_retry_hook_sees_scrubbed_errors(
    kind: str, mode: str, auth: str, tmapi_mock: TmapiMock, caplog: pytest.LogCaptureFixture
) -> None:
    """The errors handed to on_retry (before the last attempt) are scrubbed too."""
    seen: list[BaseException] = []
    ep = tmapi_mock.search
    (ep.timeout() if kind == "timeout" else ep.connect_error()).success()
    run_call(mode, "search", auth=auth, on_retry=lambda event: seen.append(event.error))
    assert len(seen) == 1
    assert_token_nowhere(seen[0], caplog)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("code", sorted(CODE_CLASSES))
def test_status_error_attributes(code: int, mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.error(code, in_body=True)
    with pytest.raises(APIStatusError) as info:
        run_call(mode, "search", max_retries=0)
    example = tmapi_mock.search.example(status=code)
    assert (info.value.status_code, info.value.code, info.value.msg) == (200, code, example["msg"])
    assert info.value.body == example


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("shape", sorted(SHAPE_FAULTS))
def test_unreadable_success_body(
    shape: str, mode: str, tmapi_mock: TmapiMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tmapi_mock.search.success("vendor_two_items", transform=SHAPE_FAULTS[shape])
    with pytest.raises(MalformedResponseError) as info:
        run_call(mode, "search")
    assert info.value.status_code == 200
    assert tmapi_mock.search.call_count == 1  # a 200 was billed: never retried
    assert_token_nowhere(info.value, caplog)


def test_malformed_keeps_a_truncated_body(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.malformed("html")
    with pytest.raises(MalformedResponseError) as info:
        run_call("sync", "search", max_retries=0)
    assert info.value.status_code == 502
    assert info.value.body.startswith("<html>") and len(info.value.body) <= 500


def _null_nested(body: dict[str, Any]) -> None:
    item = body["data"]["items"][0]
    for key in ("shop_info", "price_info", "sale_info", "delivery_info"):
        item[key] = None


def _unknown_enums(body: dict[str, Any]) -> None:
    body["data"]["sort"] = "newest_first"
    body["data"]["items"][0]["type"] = "wholesale_v2"


def _extra_fields(body: dict[str, Any]) -> None:
    body["trace_id"] = "abc"
    body["data"]["next_cursor"] = "xyz"
    body["data"]["items"][0]["video_url"] = "https://cloud.video.taobao.com/v.mp4"
    body["data"]["items"][0]["shop_info"]["rating"] = 4.5


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tolerated_null_nested_objects(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("vendor_two_items", transform=_null_nested)
    data = run_call(mode, "search")
    item = data.items[0]
    assert (item.shop_info, item.price_info, item.sale_info, item.delivery_info) == (None,) * 4


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tolerated_unknown_enum_values(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("vendor_two_items", transform=_unknown_enums)
    data = run_call(mode, "search")
    assert data.sort == "newest_first" and data.items[0].type_ == "wholesale_v2"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tolerated_extra_fields(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("vendor_two_items", transform=_extra_fields)
    data = run_call(mode, "search")
    assert data["next_cursor"] == "xyz"
    assert data.items[0]["video_url"].endswith("v.mp4")
    assert data.items[0].shop_info["rating"] == 4.5


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_transient_then_success(mode: str, tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.error(503).timeout().success()
    data = run_call(mode, "search")
    assert data.total_count == 666 and tmapi_mock.search.call_count == 3


def test_retry_log_record_names_attempt_and_reason(
    tmapi_mock: TmapiMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tmapi_search")
    tmapi_mock.search.error(417).success()
    run_call("sync", "search")
    records = [r for r in caplog.records if r.name == "tmapi_search" and "retrying" in r.message]
    assert len(records) == 1
    record = records[0]
    assert record.tmapi_attempt == 1 and record.tmapi_max_attempts == RETRIED  # type: ignore[attr-defined]
    assert record.tmapi_reason == "DataRetrievalError"  # type: ignore[attr-defined]
    assert "attempt 1/3" in record.message


@pytest.mark.parametrize("fault", ["status", "malformed"])
def test_errors_survive_pickling(fault: str, tmapi_mock: TmapiMock) -> None:
    import pickle

    if fault == "status":
        tmapi_mock.search.error(503, headers={"Retry-After": "3"})
    else:
        tmapi_mock.search.malformed("truncated")
    with pytest.raises(TmapiError) as info:
        run_call("sync", "search")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is type(info.value) and str(copy) == str(info.value)
    assert vars(copy) == vars(info.value)
    assert copy.attempts == info.value.attempts
