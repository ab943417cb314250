"""`tmapi_mock`: a pytest fixture that mocks TMAPI in-process (respx), for your tests.

Installed with the package and registered through the `pytest11` entry point, so any
project that installs `tmapi-search` can write::

    def test_my_sourcing_tool(tmapi_mock):
        tmapi_mock.search.error(503)            # first call: concurrency limit
        tmapi_mock.search.success()             # then the vendor's documented page
        ...
        assert tmapi_mock.search.call_count == 2

Every body comes from the named examples of the packaged `openapi.yaml` (the same
file the Prism mock serves), so a change to the contract cannot leave a stale fixture
behind. Outcomes are queued per endpoint and served in order; once the queue is used
up the last outcome repeats; with nothing queued, an endpoint answers its first
documented 200 example. Requests to any host are matched (by method and path), so the
fixture works whatever `base_url` the code under test uses; any other request fails
as unmocked.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import pytest
import respx

from tmapi_search import spec

__all__ = ["EndpointMock", "MalformedKind", "TmapiMock", "tmapi_mock", "tmapi_no_backoff"]

MalformedKind = Literal["html", "empty", "truncated", "not_json_object"]
Outcome = Callable[[httpx.Request], httpx.Response]

_HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


class EndpointMock:
    """Queued outcomes for one TMAPI endpoint, with the calls it received."""

    def __init__(self, route: respx.Route, path: str, method: str) -> None:
        self.route = route
        self.path = path
        self.method = method
        self._queue: deque[Outcome] = deque()
        self._last: Outcome | None = None
        route.side_effect = self._serve

    # -- serving -----------------------------------------------------------------
    def _serve(self, request: httpx.Request) -> httpx.Response:
        if self._queue:
            self._last = self._queue.popleft()
        outcome = self._last or self._default
        return outcome(request)

    def _default(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=self.example(), request=request)

    def _push(self, outcome: Outcome) -> EndpointMock:
        self._queue.append(outcome)
        return self

    # -- bodies from the contract ----------------------------------------------------
    def example(self, name: str | None = None, status: int = 200) -> Any:
        """A fresh copy of a named example of this endpoint (first one if unnamed)."""
        return spec.response_example(self.path, self.method, status, name)

    def example_names(self, status: int = 200) -> list[str]:
        return list(spec.response_examples(self.path, self.method, status))

    # -- outcomes ----------------------------------------------------------------
    def success(
        self,
        name: str | None = None,
        *,
        transform: Callable[[Any], Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> EndpointMock:
        """Queue an HTTP 200 with a documented example (by name); `transform` may edit a copy."""
        body = self.example(name)
        if transform is not None:
            changed = transform(body)
            body = body if changed is None else changed
        return self.respond(200, json=body, headers=headers)

    def error(
        self, code: int, *, in_body: bool = False, headers: dict[str, str] | None = None
    ) -> EndpointMock:
        """Queue a documented error: as the HTTP status, or (`in_body`) inside an HTTP 200."""
        body = spec.error_example(code, self.path, self.method)
        return self.respond(200 if in_body else code, json=body, headers=headers)

    def malformed(self, kind: MalformedKind = "html", *, status: int | None = None) -> EndpointMock:
        """Queue a body that cannot be read as the contract says.

        html: a proxy's 502 page; empty: HTTP 200 with no body; truncated: the first half
        of the documented 200 body; not_json_object: a JSON array.
        """
        if kind == "html":
            return self.respond(
                status or 502, content=_HTML_502, headers={"content-type": "text/html"}
            )
        if kind == "empty":
            return self.respond(status or 200, content=b"")
        if kind == "truncated":
            full = json.dumps(self.example(), ensure_ascii=False).encode()
            return self.respond(
                status or 200,
                content=full[: len(full) // 2],
                headers={"content-type": "application/json"},
            )
        if kind == "not_json_object":
            return self.respond(status or 200, json=[self.example()])
        raise ValueError(f"kind: unknown malformed kind {kind!r}")

    def timeout(self) -> EndpointMock:
        """Queue a read timeout (no response arrives)."""

        def outcome(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("mocked read timeout", request=request)

        return self._push(outcome)

    def connect_error(self) -> EndpointMock:
        """Queue a connection failure (refused)."""

        def outcome(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("mocked connection refused", request=request)

        return self._push(outcome)

    def respond(
        self,
        status: int,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> EndpointMock:
        """Queue any raw response (escape hatch; prefer the named outcomes)."""
        payload = copy.deepcopy(json)

        def outcome(request: httpx.Request) -> httpx.Response:
            if content is not None:
                return httpx.Response(status, content=content, headers=headers, request=request)
            return httpx.Response(status, json=payload, headers=headers, request=request)

        return self._push(outcome)

    def calls_with(self, outcome: Outcome) -> EndpointMock:
        """Queue a callable `request -> httpx.Response` (for dynamic answers)."""
        return self._push(outcome)

    # -- what was asked ----------------------------------------------------------
    @property
    def call_count(self) -> int:
        return int(self.route.call_count)

    @property
    def requests(self) -> list[httpx.Request]:
        return [call.request for call in self.route.calls]

    @property
    def last_request(self) -> httpx.Request:
        return self.requests[-1]

    def params(self, index: int = -1) -> dict[str, str]:
        """The query parameters of one request (the last by default)."""
        return dict(self.requests[index].url.params)

    def reset(self) -> None:
        """Forget queued outcomes and recorded calls."""
        self._queue.clear()
        self._last = None
        self.route.reset()


class TmapiMock:
    """The two TMAPI endpoints, mocked: `search` and `convert`."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.search = EndpointMock(
            router.route(method="GET", path=spec.SEARCH_PATH), spec.SEARCH_PATH, "get"
        )
        self.convert = EndpointMock(
            router.route(method="POST", path=spec.CONVERT_PATH), spec.CONVERT_PATH, "post"
        )

    @property
    def call_count(self) -> int:
        return self.search.call_count + self.convert.call_count

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request made, in order."""
        return [call.request for call in self.router.calls]


@pytest.fixture
def tmapi_mock() -> Iterator[TmapiMock]:
    """Mock TMAPI in-process (respx); bodies from the packaged `openapi.yaml`'s examples."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield TmapiMock(router)


@pytest.fixture
def tmapi_no_backoff() -> Iterator[None]:
    """Retries without their backoff sleeps (stamina's testing mode), attempt limits kept.

    The client's `max_retries` still decides how many attempts are made; `on_retry`
    events still carry the delay the policy chose, but nobody waits for it.
    """
    import stamina

    with stamina.set_testing(True, attempts=1000, cap=True):
        yield
