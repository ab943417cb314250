"""The bulk runner's calls in two steps (`_search_sender`, `_search_v2_sender`).

The runner checks and builds a page's request before it takes a slot, and only sends
it under the slot. Whatever the split, the call must be `search_by_image(...,
convert=False, max_retries=0)`'s: the same request (URL, method, headers), the same
parsed page, the same errors (type, `attempts`, never the token), and a bad argument
refused before anything is sent. Bodies come from the spec's examples.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tmapi_search import AsyncTmapiClient, spec
from tmapi_search.errors import APIConnectionError, TmapiError

TOKEN = "tok-SECRET-2steps-8e1f"
BASE = "https://api.tmapi.io"
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
CONVERTED = spec.response_example(spec.CONVERT_PATH, "post", 200)["data"]["image_url"]

Answer = Callable[[httpx.Request], httpx.Response]


def _client(answer: Answer, sent: list[httpx.Request], mode: str) -> AsyncTmapiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer(request)

    pool = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncTmapiClient(api_token=TOKEN, base_url=BASE, http_client=pool, auth=mode)


def _same(a: httpx.Request, b: httpx.Request) -> None:
    assert (a.method, str(a.url)) == (b.method, str(b.url))
    assert a.headers.multi_items() == b.headers.multi_items()
    assert a.content == b.content


async def _both(
    answer: Answer,
    mode: str,
    public: Callable[[AsyncTmapiClient], Awaitable[Any]],
    two_steps: Callable[[AsyncTmapiClient], Callable[[], Awaitable[Any]]],
) -> tuple[Any, Any, list[httpx.Request], list[httpx.Request]]:
    """The public call and the two-step call, each on a fresh client: results or errors."""
    outcomes: list[Any] = []
    requests: list[list[httpx.Request]] = []
    for make in (public, lambda client: two_steps(client)()):
        sent: list[httpx.Request] = []
        async with _client(answer, sent, mode) as client:
            try:
                outcomes.append(await make(client))
            except TmapiError as error:
                outcomes.append(error)
        requests.append(sent)
    return outcomes[0], outcomes[1], requests[0], requests[1]


SEARCHES = [
    {},
    {"page": 3, "page_size": 7, "language": "ru", "sort": "sales"},
    {"support_dropshipping": True, "is_factory": False, "new_arrival": True},
]


@pytest.mark.parametrize("mode", ["query", "header"])
@pytest.mark.parametrize("options", SEARCHES)
async def test_v1_page_is_the_public_call(mode: str, options: dict[str, Any]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=spec.response_example(), request=request)

    public, split, sent_public, sent_split = await _both(
        answer,
        mode,
        lambda c: c.search_by_image(ALI, convert=False, max_retries=0, **options),
        lambda c: c._search_sender(ALI, **options),
    )
    assert len(sent_public) == len(sent_split) == 1
    _same(sent_public[0], sent_split[0])
    assert split == public and split.items  # the page, parsed the same way


@pytest.mark.parametrize("mode", ["query", "header"])
async def test_v2_page_is_the_public_call(mode: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = spec.response_example(spec.SEARCH_V2_PATH)
        return httpx.Response(200, json=body, request=request)

    options = {"page": 2, "price_start": "1.5", "price_end": "20", "free_shipping": True}
    public, split, sent_public, sent_split = await _both(
        answer,
        mode,
        lambda c: c.search_by_image_v2(CONVERTED, max_retries=0, **options),
        lambda c: c._search_v2_sender(CONVERTED, **options),
    )
    assert len(sent_public) == len(sent_split) == 1
    _same(sent_public[0], sent_split[0])
    assert split == public and split.items


@pytest.mark.parametrize("code", [422, 439, 499, 500, 503])
async def test_errors_are_the_public_calls(code: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, json=spec.error_example(code), request=request)

    public, split, sent_public, sent_split = await _both(
        answer,
        "query",
        lambda c: c.search_by_image(ALI, convert=False, max_retries=0),
        lambda c: c._search_sender(ALI),
    )
    assert len(sent_public) == len(sent_split) == 1  # never retried: max_retries=0
    assert type(split) is type(public) and isinstance(split, TmapiError)
    assert (split.attempts, str(split)) == (public.attempts, str(public)) == (1, str(public))
    assert TOKEN not in repr(split) + str(split)


async def test_no_answer_is_the_public_calls_error_without_the_token() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused: {request.url}", request=request)

    public, split, _, _ = await _both(
        answer,
        "query",
        lambda c: c.search_by_image(ALI, convert=False, max_retries=0),
        lambda c: c._search_sender(ALI),
    )
    assert isinstance(public, APIConnectionError) and type(split) is type(public)
    assert split.attempts == 1
    for text in (str(split), repr(split), str(split.__cause__)):
        assert TOKEN not in text


@pytest.mark.parametrize(
    ("options", "named"),
    [({"page": 0}, "page"), ({"page_size": 0}, "page_size"), ({"language": "xx"}, "language")],
)
async def test_a_bad_argument_is_refused_when_building_and_nothing_is_sent(
    options: dict[str, Any], named: str
) -> None:
    sent: list[httpx.Request] = []
    async with _client(lambda r: httpx.Response(200, request=r), sent, "query") as client:
        with pytest.raises(ValueError, match=named) as public:
            await client.search_by_image(ALI, convert=False, max_retries=0, **options)
        with pytest.raises(ValueError, match=named) as split:
            client._search_sender(ALI, **options)  # raised before any send function exists
    assert str(split.value) == str(public.value)
    assert sent == []


async def test_v2_in_two_steps_never_converts_behind_the_runners_back() -> None:
    sent: list[httpx.Request] = []
    async with _client(lambda r: httpx.Response(200, request=r), sent, "query") as client:
        with pytest.raises(ValueError, match="img_url"):
            client._search_v2_sender("https://example.com/photo.jpg")
    assert sent == []  # a conversion is a paid call: the runner makes it, counted
