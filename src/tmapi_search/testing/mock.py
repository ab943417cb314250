"""`mock_tmapi()` / the `tmapi_mock` fixture: TMAPI mocked in-process (respx), for your tests.

Registered through the `pytest11` entry point, so any project that installs
`tmapi-search[testing]` can write::

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

Three endpoints: `search` (v1), `search_v2` and `convert`.

Like the Prism mock, the fixture checks each request against the contract before it
serves a queued outcome: a request with neither a non-empty `apiToken` query parameter
nor a non-empty `apikey` header (the contract's two security schemes, either accepted)
gets the documented 401 body (the vendor's observed `{"code": 4011, "message": ...}`),
and a query parameter or JSON body that breaks its schema (`page_size=21`, `page=0`,
an unknown `language`, a convert body without `url`) gets the documented 422 body.
Such a request is counted but does not use up a queued outcome. Turn the check off
with `tmapi_mock.validate_requests = False` (or per endpoint: `.validate = False`).

Strict mode (`mock_tmapi(strict=True)`, or `tmapi_mock.strict = True`): every success
body the mock serves (an example, a `transform`ed one, a `respond`/`calls_with` answer)
is checked against the contract first (`tmapi_search.drift.find_drift`); any drift (an
undeclared field, a wrong type, an unknown enum value, a null, a missing field) raises
`ContractDriftError` in the code under test, so the test fails. The spec's own
examples pass. Use it to catch recorded fixtures the contract no longer describes.

Outside pytest fixtures (unittest, scripts), `with mock_tmapi() as tmapi: ...` gives
the same object.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import jsonschema
import respx
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tmapi_search import spec
from tmapi_search.drift import ContractDriftError, find_drift

__all__ = [
    "EndpointMock",
    "MalformedKind",
    "RequestCheck",
    "TmapiMock",
    "mock_tmapi",
]

MalformedKind = Literal["html", "empty", "truncated", "not_json_object"]
Outcome = Callable[[httpx.Request], httpx.Response]

_HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


_OPERATIONS = {
    spec.SEARCH_PATH: "search_by_image",
    spec.SEARCH_V2_PATH: "search_by_image_v2",
    spec.CONVERT_PATH: "convert_image_url",
}
_SPEC_URI = "urn:tmapi-search:openapi"
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(
        spec.load_spec(), default_specification=DRAFT202012
    )
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    return registry


def _validator(pointer: str) -> jsonschema.Draft202012Validator:
    """A JSON Schema validator for the schema at `pointer` inside the contract."""
    return jsonschema.Draft202012Validator({"$ref": f"{_SPEC_URI}#{pointer}"}, registry=_registry())


class RequestCheck:
    """What the contract says a request to one operation must carry (as Prism checks it).

    `status(request)` is 401 (no token by any of the operation's security schemes),
    422 (a parameter or body breaks its schema) or None (valid). `problems(request)`
    says why, for debugging a test.
    """

    def __init__(self, path: str, method: str) -> None:
        document = spec.load_spec()
        operation = document["paths"][path][method]
        base = f"/{_pointer('paths', path, method)}"
        # Each requirement is one way to authenticate (any one suffices); each is a list
        # of (location, name) that must all be present.
        self.security: list[list[tuple[str, str]]] = []
        for requirement in operation.get("security", document.get("security", [])):
            needs: list[tuple[str, str]] = []
            for scheme_name in requirement:
                scheme = document["components"]["securitySchemes"][scheme_name]
                if scheme.get("type") == "apiKey" and scheme.get("in") in ("query", "header"):
                    needs.append((scheme["in"], scheme["name"]))
            if needs:
                self.security.append(needs)
        self.params: list[tuple[str, bool, dict[str, Any], jsonschema.Draft202012Validator]] = []
        for index, parameter in enumerate(operation.get("parameters", [])):
            where = f"{base}/parameters/{index}"
            if "$ref" in parameter:
                where = parameter["$ref"].removeprefix("#")
                parameter = spec._resolve(parameter)
            if parameter.get("in") != "query":
                continue
            schema = spec._resolve(parameter.get("schema", {}))
            self.params.append(
                (
                    parameter["name"],
                    bool(parameter.get("required")),
                    schema,
                    _validator(f"{where}/schema"),
                )
            )
        self.body: jsonschema.Draft202012Validator | None = None
        self.body_required = False
        body = operation.get("requestBody")
        if body is not None:
            self.body_required = bool(body.get("required"))
            media = _pointer("requestBody", "content", "application/json", "schema")
            self.body = _validator(f"{base}/{media}")

    @staticmethod
    def _coerce(raw: str, schema: dict[str, Any]) -> Any:
        """A query string value as the type its schema names (as Prism coerces it)."""
        kind = schema.get("type")
        if kind == "integer" and _INTEGER.fullmatch(raw):
            return int(raw)
        if kind == "number" and _NUMBER.fullmatch(raw):
            return float(raw)
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
        return raw

    @staticmethod
    def _present(request: httpx.Request, where: str, name: str) -> bool:
        source = request.url.params if where == "query" else request.headers
        return bool(source.get(name))

    def problems(self, request: httpx.Request) -> tuple[int | None, list[str]]:
        query = request.url.params
        if self.security and not any(
            all(self._present(request, where, name) for where, name in needs)
            for needs in self.security
        ):
            ways = " or ".join(
                " + ".join(f"{where} {name}" for where, name in needs) for needs in self.security
            )
            return 401, [f"no token: {ways} is missing or empty"]
        found: list[str] = []
        for name, required, schema, validator in self.params:
            if name not in query:
                if required:
                    found.append(f"query parameter {name} is required")
                continue
            value = self._coerce(query[name], schema)
            found += [f"query parameter {name}: {e.message}" for e in validator.iter_errors(value)]
        if self.body is not None:
            content = request.content
            if not content:
                if self.body_required:
                    found.append("request body is required")
            elif "json" not in request.headers.get("content-type", ""):
                found.append("request body must be application/json")
            else:
                try:
                    payload = json.loads(content)
                except ValueError:
                    found.append("request body is not valid JSON")
                else:
                    found += [f"request body: {e.message}" for e in self.body.iter_errors(payload)]
        return (422 if found else None), found

    def status(self, request: httpx.Request) -> int | None:
        return self.problems(request)[0]


@functools.cache
def _request_check(path: str, method: str) -> RequestCheck:
    return RequestCheck(path, method)


class EndpointMock:
    """Queued outcomes for one TMAPI endpoint, with the calls it received."""

    def __init__(self, route: respx.Route, path: str, method: str) -> None:
        self.route = route
        self.path = path
        self.method = method
        self.validate = True
        #: check each success body served against the contract (ContractDriftError)
        self.strict = False
        self._queue: deque[Outcome] = deque()
        self._last: Outcome | None = None
        route.side_effect = self._serve

    # -- serving -----------------------------------------------------------------
    def _serve(self, request: httpx.Request) -> httpx.Response:
        if self.validate:
            rejected = _request_check(self.path, self.method).status(request)
            if rejected is not None:  # as Prism does: the contract's own 401 / 422 body
                body = spec.error_example(rejected, self.path, self.method)
                return httpx.Response(rejected, json=body, request=request)
        if self._queue:
            self._last = self._queue.popleft()
        outcome = self._last or self._default
        response = outcome(request)
        if self.strict:
            self._check_drift(response)
        return response

    def _check_drift(self, response: httpx.Response) -> None:
        """Strict mode: a success body that strays from the contract raises."""
        if response.status_code != 200:
            return
        try:
            payload = json.loads(response.read())
        except ValueError:
            return  # a malformed body is an outcome of its own (`malformed`)
        if isinstance(payload, dict) and payload.get("code") == 200:
            events = find_drift(payload, _OPERATIONS[self.path])
            if events:
                raise ContractDriftError(events)

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
        """The names of this endpoint's documented examples for `status`, in order."""
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
        status: int = 200,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> EndpointMock:
        """Queue any raw response: `respond(json=body)` is an HTTP 200 with that JSON body.

        `content` (bytes) is sent as is instead of `json`; `headers` are added. An escape
        hatch: prefer the named outcomes, whose bodies come from the contract.
        """
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
        """How many requests this endpoint received (rejected ones included)."""
        return int(self.route.call_count)

    @property
    def requests(self) -> list[httpx.Request]:
        """The requests this endpoint received, in order."""
        return [call.request for call in self.route.calls]

    @property
    def last_request(self) -> httpx.Request:
        """The last request this endpoint received."""
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
    """The three TMAPI endpoints, mocked: `search` (v1), `search_v2` and `convert`."""

    def __init__(self, router: respx.MockRouter, *, strict: bool = False) -> None:
        self.router = router
        self.search = EndpointMock(
            router.route(method="GET", path=spec.SEARCH_PATH), spec.SEARCH_PATH, "get"
        )
        self.search_v2 = EndpointMock(
            router.route(method="GET", path=spec.SEARCH_V2_PATH), spec.SEARCH_V2_PATH, "get"
        )
        self.convert = EndpointMock(
            router.route(method="POST", path=spec.CONVERT_PATH), spec.CONVERT_PATH, "post"
        )
        self.strict = strict

    @property
    def endpoints(self) -> tuple[EndpointMock, ...]:
        return (self.search, self.search_v2, self.convert)

    @property
    def validate_requests(self) -> bool:
        """Whether requests are checked against the contract first (401 / 422, as Prism)."""
        return all(ep.validate for ep in self.endpoints)

    @validate_requests.setter
    def validate_requests(self, value: bool) -> None:
        for ep in self.endpoints:
            ep.validate = value

    @property
    def strict(self) -> bool:
        """Whether success bodies are checked for drift (ContractDriftError); see above."""
        return all(ep.strict for ep in self.endpoints)

    @strict.setter
    def strict(self, value: bool) -> None:
        for ep in self.endpoints:
            ep.strict = value

    @property
    def call_count(self) -> int:
        """How many requests the three endpoints received."""
        return sum(ep.call_count for ep in self.endpoints)

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request made, in order."""
        return [call.request for call in self.router.calls]


@contextlib.contextmanager
def mock_tmapi(*, strict: bool = False) -> Iterator[TmapiMock]:
    """Mock TMAPI in-process for the duration of a `with` block (what the fixture uses).

    `strict=True`: any success body that drifts from the contract raises
    `ContractDriftError` (see the module docstring).
    """
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield TmapiMock(router, strict=strict)
