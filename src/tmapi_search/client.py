"""`TmapiClient` and `AsyncTmapiClient`: the client people import.

Both share `_BaseClient`, which holds everything but I/O: configuration, local
validation, request building (through the generated `tmapi_client` functions),
reading answers into the generated models or into the exception tree, and the retry
policy. The two subclasses only send requests (httpx sync / async), run stamina's
retry loop, and page.

Requests and models come from the generated client: `search_by_image` returns the
generated `SearchData` (page, page_size, total_count, items of `SearchItem`),
`search_by_image_v2` the generated `SearchDataV2` (has_next_page, items of
`SearchItemV2`). The token goes as `?apiToken=` (auth="query", the default) or as an
`apikey` header (auth="header"); no exception this module raises carries it, in its
text or in its chain.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar
from urllib.parse import urlsplit

import httpx

from tmapi_search import _json, _transport, validation
from tmapi_search._logging import logger, setup_logging
from tmapi_search._scrub import scrub_tree
from tmapi_search.auth import (
    ApiTokenAuth,
    AuthMode,
    Secret,
    redact,
    resolve_auth_mode,
    scrub_transport_error,
)
from tmapi_search.drift import DriftEvent, DriftHook, DriftLog, DriftSampler, find_drift
from tmapi_search.errors import (
    BODY_PREVIEW_CHARS,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DeadlineExceededError,
    MalformedResponseError,
    MalformedValueError,
    TmapiError,
    error_class_for_code,
)
from tmapi_search.images import V2_SEARCH_API_ENDPOINT as _V2_ENDPOINT
from tmapi_search.images import ConvertMode, needs_conversion
from tmapi_search.paging import PagePlan
from tmapi_search.retries import (
    DEFAULT_MAX_RETRIES,
    RetryHook,
    RetryState,
    aretry_after_first,
    parse_retry_after,
    retry_after_first,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "AsyncTmapiClient",
    "InsecureTransportWarning",
    "NotGiven",
    "TmapiClient",
]

DEFAULT_BASE_URL: Final = "https://api.tmapi.io"
#: The vendor advises a 60 s request timeout (its 499 message says so); connecting is quick.
DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=10.0)
_DEFAULT_POOL = 100
#: TMAPI's documented statuses, and 429 (a gateway's rate limit: `RateLimitError`)
_DOCUMENTED_ERROR_STATUSES = frozenset({401, 417, 422, 429, 439, 499, 500, 503})
_INT64 = range(-(2**63), 2**63)
#: Item fields the contract types `integer` (checked: never a float, never beyond int64)
_INTEGER_ITEM_FIELDS = ("item_id", "shop_years")
_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)
_QUERY_PAIRS_KEPT = 256
#: paging counts: sent as strings of digits, they are read as integers (and reported)
_COUNTS = ("page", "page_size", "total_count")

if TYPE_CHECKING:
    from types import TracebackType

    from tmapi_client.models.search_data import SearchData
    from tmapi_client.models.search_data_v2 import SearchDataV2
    from tmapi_client.models.search_item import SearchItem
    from tmapi_client.models.search_item_v2 import SearchItemV2

T = TypeVar("T")
_PageT = TypeVar("_PageT", "SearchData", "SearchDataV2")
PriceArg = str | int | float | Decimal | None
TimeoutTypes = float | httpx.Timeout | None


@functools.cache
def _generated() -> Any:
    """The generated client's request builders and models, imported on first use.

    `import tmapi_search` does not pay for them (attrs classes, ~20 modules: about a
    third of the import time otherwise); the first client call does, once.
    """
    from tmapi_client import models
    from tmapi_client.api.search import search_items_by_image, search_items_by_image_v2
    from tmapi_client.api.tools import convert_image_url
    from tmapi_client.types import UNSET

    search_api: ModuleType = search_items_by_image
    search_v2_api: ModuleType = search_items_by_image_v2
    convert_api: ModuleType = convert_image_url
    return SimpleNamespace(
        search_api=search_api,
        search_v2_api=search_v2_api,
        convert_api=convert_api,
        models=models,
        UNSET=UNSET,
    )


class NotGiven:
    """Sentinel for "argument not given" where None has a meaning (timeout=None: no timeout)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class InsecureTransportWarning(UserWarning):
    """The token would travel over plain http to a host that is not this machine."""


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _as_timeout(name: str, value: object) -> httpx.Timeout | None:
    if value is None:
        return None
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return httpx.Timeout(float(value), connect=min(float(value), 10.0))
    raise ValueError(f"{name}: must be a positive number of seconds, an httpx.Timeout or None")


def _check_retries(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name}: must be an integer >= 0, got {value!r}")
    return value


#: Item fields that are lists of objects: the generated `from_dict` iterates them, so a
#: null (what the vendor's sibling endpoints send for lists) would fail the whole page.
_OBJECT_LIST_FIELDS = ("quantity_prices",)


def _set_aside_null_lists(payload: dict[str, Any]) -> list[tuple[int, str]]:
    """Remove null object-list fields from the items before parsing; say which they were."""
    data = payload.get("data")
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    nulled: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            for key in _OBJECT_LIST_FIELDS:
                if key in item and item[key] is None:
                    del item[key]
                    nulled.append((index, key))
    return nulled


def _restore_null_lists(items: Any, nulled: list[tuple[int, str]]) -> None:
    """Keep each null as sent: `item[key]` is None, `to_dict()` gives it back (no loss)."""
    for index, key in nulled:
        items[index][key] = None


def _unset_if_none(value: Any) -> Any:
    return _generated().UNSET if value is None else value


def _vendor_message(body: Any) -> str | None:
    """The vendor's message of an error body: `msg`, else `message` (the observed 401)."""
    if not isinstance(body, dict):
        return None
    for key in ("msg", "message"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class _BaseClient:
    """Configuration, validation, request building and answer reading; no I/O."""

    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        *,
        api_token: Secret | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int,
        max_concurrency: int | None,
        on_retry: RetryHook | None,
        auth: str | None = None,
        max_response_bytes: int = _transport.DEFAULT_MAX_RESPONSE_BYTES,
        deadline: float | None = None,
        on_drift: DriftHook | None = None,
    ) -> None:
        if api_token is None:
            api_token = Secret.of(os.environ.get("TMAPI_TOKEN"))
        if not api_token:
            raise ValueError("api_token: no API token given; pass api_token=... or set TMAPI_TOKEN")
        # validates the token (and the mode); never shown by repr
        self._auth = ApiTokenAuth(api_token, resolve_auth_mode(auth))
        url = base_url or os.environ.get("TMAPI_BASE_URL") or DEFAULT_BASE_URL
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(f"base_url: must be an http(s) URL without a query, got {url!r}")
        self.base_url = url.rstrip("/")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            warnings.warn(
                f"base_url {self.base_url!r} is plain http: the API token (which is billed) "
                "travels unencrypted. Use https://api.tmapi.io unless you must.",
                InsecureTransportWarning,
                stacklevel=3,
            )
        self.timeout = DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        _as_timeout("timeout", self.timeout)
        self.max_retries = _check_retries("max_retries", max_retries)
        if max_concurrency is not None:
            validation.check_limit("max_concurrency", max_concurrency)
        self.max_concurrency = max_concurrency
        if on_retry is not None and not callable(on_retry):
            raise ValueError("on_retry: must be a callable taking a RetryEvent")
        self.on_retry = on_retry
        self.max_response_bytes = _transport.check_max_response_bytes(max_response_bytes)
        if deadline is not None and (
            not isinstance(deadline, int | float) or isinstance(deadline, bool) or deadline <= 0
        ):
            raise ValueError("deadline: must be a positive number of seconds or None")
        self.deadline = None if deadline is None else float(deadline)
        if on_drift is not None and not callable(on_drift):
            raise ValueError("on_drift: must be a callable taking a DriftEvent")
        #: called with each DriftEvent (`tmapi_search.drift`); default: one INFO log line
        #: per path and kind for this client
        self.on_drift: DriftHook = on_drift if on_drift is not None else DriftLog()
        #: which answers are checked for drift (all of the first 32 per operation, then
        #: one in 16); `DriftSampler(every=1)` checks every one
        self.drift_sampler = DriftSampler()
        # encoded `name=value` query pairs (never the token's: ApiTokenAuth keeps that)
        self._query_pairs: dict[tuple[str, type, object], str] = {}
        setup_logging()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, auth={self.auth_mode!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries}, "
            f"max_concurrency={self.max_concurrency})"
        )

    @property
    def auth_mode(self) -> AuthMode:
        """How the token is sent: "query" (`?apiToken=`) or "header" (`apikey:`)."""
        return self._auth.mode

    def _pool_limits(self) -> httpx.Limits:
        size = max(self.max_concurrency or 0, _DEFAULT_POOL)
        return httpx.Limits(max_connections=size, max_keepalive_connections=size)

    # -- per-call options ------------------------------------------------------------
    def _call_options(
        self,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int | None,
        on_retry: RetryHook | None,
    ) -> tuple[httpx.Timeout | None, int, RetryHook | None]:
        call_timeout = _as_timeout(
            "timeout", self.timeout if isinstance(timeout, NotGiven) else timeout
        )
        retries = (
            self.max_retries if max_retries is None else _check_retries("max_retries", max_retries)
        )
        return call_timeout, retries, on_retry if on_retry is not None else self.on_retry

    # -- building requests (the generated functions' own kwargs) -------------------
    # The token is not in them: `self._auth` (an httpx.Auth) adds it to a copy of the
    # request when httpx sends it, so no frame here holds a URL or headers with it.
    def _request_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The generated kwargs made absolute, with the query in the URL (no token).

        httpx turns `params=` into a query by parsing the URL, merging the parameters
        and parsing the URL again, and encodes every parameter on every call (~150 us
        of a ~1.7 ms page call). Here each `name=value` pair is encoded by httpx's own
        `QueryParams` once and kept (a page call differs from the last in `img_url`
        and `page` at most), and the URL is parsed once: the very same URL
        (tests/unit/test_client_request.py compares them). A pool with default
        `params` of its own (a user's `http_client`) keeps httpx's merge, so that its
        order and precedence stay httpx's.
        """
        url = self.base_url + kwargs["url"]
        if self._http.params:
            kwargs["url"] = url
            return kwargs
        params: dict[str, Any] = kwargs.pop("params", None) or {}
        pairs = [self._query_pair(name, value) for name, value in params.items()]
        kwargs["url"] = f"{url}?{'&'.join(pairs)}" if pairs else url
        return kwargs

    def _query_pair(self, name: str, value: Any) -> str:
        """`str(httpx.QueryParams({name: value}))`, remembered for str/int/bool values."""
        if not isinstance(value, str | int):  # e.g. a list: several pairs, not kept
            return str(httpx.QueryParams({name: value}))
        key = (name, type(value), value)  # with its type: True == 1, yet "true" != "1"
        pair = self._query_pairs.get(key)
        if pair is None:
            pair = str(httpx.QueryParams({name: value}))
            if len(self._query_pairs) >= _QUERY_PAIRS_KEPT:  # one entry per image: bounded
                self._query_pairs.clear()
            self._query_pairs[key] = pair
        return pair

    def _search_kwargs(
        self,
        img_url: str,
        page: int,
        page_size: int,
        language: str,
        sort: str,
        filters: dict[str, bool | None],
    ) -> dict[str, Any]:
        gen = _generated()
        unset = gen.UNSET
        kwargs: dict[str, Any] = gen.search_api._get_kwargs(
            img_url=validation.encode_image_url(img_url),
            page=page,
            page_size=page_size,
            language=gen.models.Language(language),
            sort=gen.models.Sort(sort),
            **{name: unset if value is None else value for name, value in filters.items()},
        )
        return self._request_kwargs(kwargs)

    def _search_v2_kwargs(
        self,
        img_url: str,
        page: int,
        page_size: int,
        language: str,
        sort: str,
        prices: dict[str, str | None],
        filters: dict[str, bool | None],
    ) -> dict[str, Any]:
        gen = _generated()
        kwargs: dict[str, Any] = gen.search_v2_api._get_kwargs(
            img_url=validation.encode_image_url(img_url),
            page=page,
            page_size=page_size,
            language=gen.models.LanguageV2(language),
            sort=gen.models.Sort(sort),
            price_start=_unset_if_none(prices["price_start"]),
            price_end=_unset_if_none(prices["price_end"]),
            **{name: _unset_if_none(value) for name, value in filters.items()},
        )
        return self._request_kwargs(kwargs)

    def _convert_kwargs(self, url: str, search_api_endpoint: str) -> dict[str, Any]:
        gen = _generated()
        body = gen.models.ConvertImageUrlRequest(
            url=validation.encode_image_url(url),
            search_api_endpoint=gen.models.SearchApiEndpoint(search_api_endpoint),
        )
        kwargs: dict[str, Any] = gen.convert_api._get_kwargs(body=body)
        return self._request_kwargs(kwargs)

    # -- sending ---------------------------------------------------------------------
    def _attempt(
        self, timeout: httpx.Timeout | None, end: float | None
    ) -> tuple[httpx.Timeout | None, float | None]:
        """The httpx timeout and the whole-attempt deadline of an attempt starting now.

        `end`: the `time.monotonic()` by which the call (retries included) must end.
        """
        seconds = _transport.attempt_seconds(timeout)
        if end is None:
            return timeout, seconds
        left = end - time.monotonic()
        if left <= 0:
            raise DeadlineExceededError(
                f"the call's deadline of {self.deadline:g} s passed", seconds=self.deadline or 0
            )
        return _transport.clip_timeout(timeout, left), left if seconds is None else min(
            seconds, left
        )

    def _cut_page(self, response: httpx.Response, payload: dict[str, Any], operation: str) -> None:
        """A page with more items than asked for is cut to `page_size`, logged, and
        reported to `on_drift` (kind `size`), whatever the drift sampler says."""
        requested = _transport.requested_page_size(response.request)
        if requested is None:
            return
        received = _transport.cut_page(payload, requested)
        if received is None:
            return
        logger.warning(
            "the answer held %d items for page_size=%d: cut to %d (not what the contract says)",
            received,
            requested,
            requested,
        )
        self.on_drift(
            DriftEvent(
                path="data.items",
                kind="size",
                expected=f"at most {requested} items (page_size)",
                example=f"{received} items",
                operation=operation,
            )
        )

    # -- reading answers ---------------------------------------------------------------
    def _clean(self, text: str) -> str:
        """`text` without the token in any form (literal, JSON-escaped, percent-encoded)."""
        return redact(text, self._auth.token)

    def _redacted_text(self, content: bytes) -> str:
        return self._clean(content.decode("utf-8", errors="replace"))

    def _malformed(self, status: int, content: bytes, why: str) -> MalformedResponseError:
        text = self._redacted_text(content)
        preview = text[:BODY_PREVIEW_CHARS]
        shown = preview if len(preview) <= 120 else preview[:120] + "..."
        return MalformedResponseError(
            f"HTTP {status}: {why}; body starts {shown!r}", status_code=status, body=preview
        )

    def _status_error(
        self, response: httpx.Response, payload: Any, body_code: int | None
    ) -> APIStatusError:
        status = response.status_code
        text = self._redacted_text(response.content)
        body: Any = text[:BODY_PREVIEW_CHARS]
        msg: str | None = None
        if isinstance(payload, dict):
            try:  # scrubbed after decoding: an escaped token is masked too
                body = scrub_tree(payload, self._clean)
            except RecursionError:
                body = text[:BODY_PREVIEW_CHARS]
            msg = _vendor_message(body)
        code = body_code if body_code is not None else status
        cls = error_class_for_code(code)
        if cls is APIStatusError and status in _DOCUMENTED_ERROR_STATUSES:
            cls = error_class_for_code(status)
        where = f"HTTP {status}" if body_code is None or status != 200 else "HTTP 200 body"
        message = (
            f"{where}, code {body_code if body_code is not None else '-'}: {msg or '(no message)'}"
        )
        return cls(
            self._clean(message),
            status_code=status,
            code=body_code,
            msg=msg,
            body=body,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    def _read(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON object of a successful answer, or raise the matching TmapiError."""
        status = response.status_code
        content = response.content
        rejected: _json.JSONRejected | None = None
        try:
            payload: Any = _json.checked_loads(content) if content else None
        except _json.JSONRejected as exc:  # NaN, Infinity, nested too deep
            payload, rejected = None, exc
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            payload = None
        if rejected is not None:
            raise self._bad_value(status, content, rejected.why, rejected.path)
        raw_code = payload.get("code") if isinstance(payload, dict) else None
        body_code = (
            raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        )
        if status == 200:
            if not isinstance(payload, dict):
                why = "empty body" if not content else "body is not a JSON object"
                raise self._malformed(status, content, why)
            if body_code == 200:
                return payload
            if body_code is None:
                raise self._malformed(status, content, "body has no integer `code`")
            raise self._status_error(response, payload, body_code)
        if status in _DOCUMENTED_ERROR_STATUSES:
            raise self._status_error(response, payload, body_code)
        if isinstance(payload, dict) and body_code is not None:
            raise self._status_error(response, payload, body_code)
        raise self._malformed(
            status, content, "not TMAPI's answer (undocumented status, no error body)"
        )

    def _bad_value(self, status: int, content: bytes, why: str, path: str) -> MalformedValueError:
        preview = self._redacted_text(content[: BODY_PREVIEW_CHARS * 4])[:BODY_PREVIEW_CHARS]
        return MalformedValueError(
            f"HTTP {status}: {why} at {path}", status_code=status, body=preview, path=path
        )

    def _parse_search(self, response: httpx.Response) -> SearchData:
        payload = self._read(response)
        self._cut_page(response, payload, "search_by_image")
        self._drift(payload, "search_by_image")
        nulled = _set_aside_null_lists(payload)
        try:
            data: SearchData = _generated().models.SearchResponse.from_dict(payload).data
            _restore_null_lists(data.items, nulled)
        except _PARSE_ERRORS as exc:
            error = self._malformed(
                response.status_code,
                response.content,
                f"cannot read the search answer ({type(exc).__name__})",
            )
        else:
            return self._check_page(response, data)
        raise error  # outside the except block: no `__context__` with the body's values

    def _parse_search_v2(self, response: httpx.Response) -> SearchDataV2:
        payload = self._read(response)
        self._cut_page(response, payload, "search_by_image_v2")
        self._drift(payload, "search_by_image_v2")
        nulled = _set_aside_null_lists(payload)
        try:
            data: SearchDataV2 = _generated().models.SearchResponseV2.from_dict(payload).data
            _restore_null_lists(data.items, nulled)
        except _PARSE_ERRORS as exc:
            error = self._malformed(
                response.status_code,
                response.content,
                f"cannot read the v2 search answer ({type(exc).__name__})",
            )
        else:
            has_next = data.has_next_page
            if has_next is not _generated().UNSET and not isinstance(has_next, bool):
                raise self._malformed(
                    response.status_code, response.content, "data.has_next_page is not a boolean"
                )
            return self._check_page(response, data)
        raise error

    def _drift(self, payload: dict[str, Any], operation: str) -> None:
        """Report how the answer strays from the contract (`drift_sampler`'s answers), and
        read a paging count sent as a string of digits (`"666"`) as the integer."""
        if self.drift_sampler.due(operation):
            for event in find_drift(payload, operation):
                self.on_drift(event)
        data = payload.get("data")
        if type(data) is dict:
            for name in _COUNTS:
                value = data.get(name)
                if type(value) is str and value.isascii() and value.isdigit():
                    data[name] = int(value)

    def _check_page(self, response: httpx.Response, data: _PageT) -> _PageT:
        """The fields paging relies on are what the contract says (else malformed)."""
        for name in ("page", "page_size", "total_count"):
            value = getattr(data, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise self._malformed(
                    response.status_code, response.content, f"data.{name} is not an integer"
                )
            if value not in _INT64:
                raise self._bad_value(
                    response.status_code, response.content, "integer beyond int64", f"$.data.{name}"
                )
        if not isinstance(data.items, list):
            raise self._malformed(
                response.status_code, response.content, "data.items is not a list"
            )
        for index, item in enumerate(data.items):
            for name in _INTEGER_ITEM_FIELDS:
                value = getattr(item, name, None)
                wrong = isinstance(value, int) and value not in _INT64
                if wrong or isinstance(value, float | bool):
                    raise self._bad_value(
                        response.status_code,
                        response.content,
                        f"{type(value).__name__} {value!r} where the contract says an int64",
                        f"$.data.items[{index}].{name}",
                    )
        return data

    def _parse_convert(self, response: httpx.Response) -> str:
        payload = self._read(response)
        self._drift(payload, "convert_image_url")
        try:
            answer = _generated().models.ConvertImageUrlResponse.from_dict(payload)
            image_url = answer.data.image_url
        except _PARSE_ERRORS as exc:
            error: MalformedResponseError | None = self._malformed(
                response.status_code,
                response.content,
                f"cannot read the conversion answer ({type(exc).__name__})",
            )
        else:
            error = None
        if error is not None:  # outside the except block: no `__context__` with body values
            raise error
        if not isinstance(image_url, str) or not image_url:
            raise self._malformed(response.status_code, response.content, "data.image_url is empty")
        return image_url

    def _transport_error(self, exc: httpx.RequestError) -> TmapiError:
        """Our error for an httpx one; its `__cause__` is a copy of it without the token."""
        text = self._clean(str(exc) or type(exc).__name__)
        error: TmapiError
        if isinstance(exc, httpx.TimeoutException):
            error = APITimeoutError(f"no answer in time ({type(exc).__name__}): {text}")
        elif isinstance(exc, httpx.DecodingError):
            error = MalformedResponseError(
                f"cannot decode the answer: {text}", status_code=0, body=""
            )
        else:
            error = APIConnectionError(f"connection failed ({type(exc).__name__}): {text}")
        error.__cause__ = scrub_transport_error(exc, self._auth.token)
        return error

    # -- shared argument handling -------------------------------------------------------
    @staticmethod
    def _validate_search(
        img_url: str,
        page: int,
        page_size: int,
        language: str,
        sort: str,
        convert: ConvertMode,
        filters: dict[str, bool | None],
    ) -> None:
        validation.check_search_args(
            img_url=img_url,
            page=page,
            page_size=page_size,
            language=language,
            sort=sort,
            convert=convert,
            filters=filters,
        )


def _validate_search_v2(
    img_url: str,
    page: int,
    page_size: int,
    language: str,
    sort: str,
    price_start: PriceArg,
    price_end: PriceArg,
    filters: dict[str, bool | None],
) -> dict[str, str | None]:
    """Check every v2 argument (ValueError naming it); the prices as the strings to send."""
    validation.check_search_v2_args(
        img_url=img_url,
        page=page,
        page_size=page_size,
        language=language,
        sort=sort,
        filters=filters,
    )
    start, end = validation.check_price_range(price_start, price_end)
    return {"price_start": start, "price_end": end}


def _filters(
    support_dropshipping: bool | None,
    is_factory: bool | None,
    verified_supplier: bool | None,
    free_shipping: bool | None,
    new_arrival: bool | None,
) -> dict[str, bool | None]:
    return {
        "support_dropshipping": support_dropshipping,
        "is_factory": is_factory,
        "verified_supplier": verified_supplier,
        "free_shipping": free_shipping,
        "new_arrival": new_arrival,
    }


def _log_conversion(img_url: str) -> None:
    logger.info(
        "converting image URL on host %r before searching (one extra, billed call)",
        urlsplit(img_url).hostname,
    )


class TmapiClient(_BaseClient):
    """Synchronous TMAPI client: one httpx connection pool, reused across calls.

    Args:
        api_token: the API token (else the TMAPI_TOKEN environment variable; neither is
            a ValueError here, before anything is sent; so is a token shorter than 8
            characters). Never shown in reprs, logs or exceptions (nor their chains).
        base_url: else TMAPI_BASE_URL, else https://api.tmapi.io. Plain http to a host
            that is not loopback triggers an InsecureTransportWarning.
        timeout: seconds, an httpx.Timeout, or None (no timeout). Default 60 s read
            (the vendor's advice) and 10 s connect. Each attempt as a whole (connect,
            send, the read of the whole answer) ends within the largest of its values
            (`DeadlineExceededError`), however slowly the answer trickles in.
        max_retries: retries after the first attempt for transient errors (TMAPI's
            table: connection errors, timeouts, 417, 499, 500, 503). Default 2.
        max_concurrency: optional cap on requests in flight through this client (a
            semaphore around each HTTP attempt; backoff sleeps do not hold a slot).
        http_client: bring your own httpx.Client (its pool is used; you close it).
        on_retry: called with a `RetryEvent` before each backoff sleep (attempt that
            failed, max attempts, the exception, the delay). Per call, `on_retry=`
            overrides it. The same facts are logged at INFO on `tmapi_search`, and
            the exception finally raised carries `.attempts`.
        auth: how the token is sent: "query" (`?apiToken=`, the seed page's documented
            way; the default) or "header" (an `apikey` header, the vendor's newer pages:
            no request URL then contains the token). Else the TMAPI_AUTH environment
            variable, else "query".
        max_response_bytes: the largest answer read, counted on the wire and again
            decompressed (default 16 MiB); a larger one raises `ResponseTooLargeError`
            as soon as the limit is passed.
        deadline: seconds a whole call may take, retries and their waits included
            (default None: `timeout` per attempt, `max_retries` attempts). No retry
            starts whose wait would pass it; an attempt is cut when it passes.
        on_drift: called with a `DriftEvent` for each way an answer strays from
            `openapi.yaml` (an undeclared field, a count sent as a string, an unknown
            enum value, a null, a missing field) that the client tolerated. Default:
            `DriftLog()`, one INFO line on `tmapi_search.drift` per path and kind.
            Every answer of the first 32 per operation is checked, then one in 16
            (`client.drift_sampler = DriftSampler(every=1)` to check each one).

    Every method accepts `timeout=` and `max_retries=` (and `on_retry=`) to override
    the client's values for one call.
    """

    _http: httpx.Client

    def __init__(
        self,
        api_token: str | Secret | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_concurrency: int | None = None,
        http_client: httpx.Client | None = None,
        on_retry: RetryHook | None = None,
        auth: AuthMode | None = None,
        max_response_bytes: int = _transport.DEFAULT_MAX_RESPONSE_BYTES,
        deadline: float | None = None,
        on_drift: DriftHook | None = None,
    ) -> None:
        api_token = Secret.of(api_token)  # this frame's local: a Secret from here on
        super().__init__(
            api_token=api_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            on_retry=on_retry,
            auth=auth,
            max_response_bytes=max_response_bytes,
            deadline=deadline,
            on_drift=on_drift,
        )
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ValueError(
                "http_client: must be an httpx.Client (use AsyncTmapiClient for async)"
            )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=_as_timeout("timeout", self.timeout), limits=self._pool_limits()
        )
        self._slots: AbstractContextManager[Any] = (
            threading.BoundedSemaphore(max_concurrency) if max_concurrency else nullcontext()
        )

    # -- lifecycle -------------------------------------------------------------------
    @property
    def http_client(self) -> httpx.Client:
        """The httpx.Client (connection pool) every call of this client goes through."""
        return self._http

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    def close(self) -> None:
        """Close the connection pool (unless it was given as `http_client`)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport + retries ---------------------------------------------------------
    def _send_once(
        self,
        kwargs: dict[str, Any],
        parse: Callable[[httpx.Response], T],
        timeout: httpx.Timeout | None,
        end: float | None = None,
    ) -> T:
        error: TmapiError | None = None
        with self._slots:
            attempt_timeout, seconds = self._attempt(timeout, end)
            request = self._http.build_request(**kwargs, timeout=attempt_timeout)
            try:
                response = _transport.send(
                    self._http,
                    request,
                    max_bytes=self.max_response_bytes,
                    seconds=seconds,
                    auth=self._auth,
                )
            except httpx.RequestError as exc:
                error = self._transport_error(exc)
        if error is not None:  # raised outside the except block: no `__context__` to leak
            raise error
        return parse(response)

    def _retry(
        self,
        state: RetryState,
        first: TmapiError,
        kwargs: dict[str, Any],
        parse: Callable[[httpx.Response], T],
        timeout: httpx.Timeout | None,
        end: float | None = None,
    ) -> T:
        """Attempts 2.. after a failed first one, in stamina's loop (see `_call`)."""
        return retry_after_first(
            first,
            lambda: self._send_once(kwargs, parse, timeout, end),
            on=state.backoff_hook,
            attempts=state.max_attempts,
            on_attempt=state.start_attempt,
        )

    def _call(
        self,
        operation: str,
        kwargs: dict[str, Any],
        parse: Callable[[httpx.Response], T],
        timeout: TimeoutTypes | NotGiven,
        max_retries: int | None,
        on_retry: RetryHook | None,
    ) -> T:
        call_timeout, retries, hook = self._call_options(timeout, max_retries, on_retry)
        state = RetryState(operation, retries, hook)
        started = time.perf_counter()
        end = None if self.deadline is None else time.monotonic() + self.deadline
        state.deadline_at = end
        try:
            first: TmapiError | None = None
            try:
                result = self._send_once(kwargs, parse, call_timeout, end)
            except TmapiError as error:
                first = error
            if first is not None:  # retried outside the except block: no `__context__` chain
                result = self._retry(state, first, kwargs, parse, call_timeout, end)
        except TmapiError as exc:
            exc.attempts = state.attempt
            logger.debug("%s failed after %d attempt(s): %r", operation, state.attempt, exc)
            raise
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s ok after %d attempt(s) in %.3fs",
                operation,
                state.attempt,
                time.perf_counter() - started,
            )
        return result

    # -- API -------------------------------------------------------------------------
    def convert_image_url(
        self,
        url: str,
        *,
        search_api_endpoint: str = "/global/search/image",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> str:
        """Convert a non-Alibaba image URL; returns the path (`/search/...`) to search with.

        One billed call. `search_api_endpoint` is the search the path will be used with
        (`/global/search/image` for `search_by_image`).
        """
        validation.check_image_url(url, "url", allow_path=False)
        endpoint = validation.check_search_api_endpoint(search_api_endpoint)
        kwargs = self._convert_kwargs(url, endpoint)
        return self._call(
            "convert_image_url", kwargs, self._parse_convert, timeout, max_retries, on_retry
        )

    def search_by_image(
        self,
        img_url: str,
        *,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        convert: ConvertMode = "auto",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> SearchData:
        """One page of 1688 products that look like the image (the generated `SearchData`).

        Every argument is checked before anything is sent (ValueError naming it).
        `convert="auto"` first converts an image that is not on an Alibaba-affiliated
        host (one extra billed call, logged); `False` sends `img_url` as is; `True`
        always converts (a `/search/...` path is never converted again).

        Raises: a TmapiError subclass (see `tmapi_search.errors`).
        """
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        self._validate_search(img_url, page, page_size, language, sort, convert, filters)
        if needs_conversion(img_url, convert):
            _log_conversion(img_url)
            img_url = self.convert_image_url(
                img_url, timeout=timeout, max_retries=max_retries, on_retry=on_retry
            )
        kwargs = self._search_kwargs(img_url, page, page_size, language, sort, filters)
        return self._call(
            "search_by_image", kwargs, self._parse_search, timeout, max_retries, on_retry
        )

    def iter_search_by_image(
        self,
        img_url: str,
        *,
        max_items: int | None = None,
        max_pages: int | None = None,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        convert: ConvertMode = "auto",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> Iterator[SearchItem]:
        """Items across pages, starting at `page`; arguments are checked at once.

        Stops after the page that reaches `total_count`, at an empty page, after
        `max_items` items or `max_pages` pages; it never requests a page it does not
        need. An image that needs conversion is converted once, before the first page.
        With `max_items` smaller than `page_size`, pages of `max_items` are requested.
        """
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        self._validate_search(img_url, page, page_size, language, sort, convert, filters)
        plan: PagePlan[SearchItem] = PagePlan(page, page_size, max_items, max_pages)
        options: dict[str, Any] = {
            "language": language,
            "sort": sort,
            **filters,
            "timeout": timeout,
            "max_retries": max_retries,
            "on_retry": on_retry,
        }

        def pages() -> Iterator[SearchItem]:
            url = img_url
            if needs_conversion(url, convert):
                _log_conversion(url)
                url = self.convert_image_url(
                    url, timeout=timeout, max_retries=max_retries, on_retry=on_retry
                )
            while True:
                data = self.search_by_image(
                    url, page=plan.page, page_size=plan.page_size, convert=False, **options
                )
                yield from plan.take(data)
                if not plan.advance(data):
                    return

        return pages()

    def search_by_image_v2(
        self,
        img_url: str,
        *,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        price_start: PriceArg = None,
        price_end: PriceArg = None,
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> SearchDataV2:
        """One page of the v2 image search (the generated `SearchDataV2`).

        v2 takes converted paths only: any `img_url` that is not a converted
        `/search/...` path is first converted for v2 (one extra billed call, logged).
        Languages: en zh ru vi ja ko; `page_size` has no documented maximum;
        `price_start` / `price_end` filter by price (numbers or decimal strings).
        Every argument is checked before anything is sent (ValueError naming it).

        Raises: a TmapiError subclass (see `tmapi_search.errors`).
        """
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        prices = _validate_search_v2(
            img_url, page, page_size, language, sort, price_start, price_end, filters
        )
        if needs_conversion(img_url, True):
            _log_conversion(img_url)
            img_url = self.convert_image_url(
                img_url,
                search_api_endpoint=_V2_ENDPOINT,
                timeout=timeout,
                max_retries=max_retries,
                on_retry=on_retry,
            )
        kwargs = self._search_v2_kwargs(img_url, page, page_size, language, sort, prices, filters)
        return self._call(
            "search_by_image_v2", kwargs, self._parse_search_v2, timeout, max_retries, on_retry
        )

    def iter_search_by_image_v2(
        self,
        img_url: str,
        *,
        max_items: int | None = None,
        max_pages: int | None = None,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        price_start: PriceArg = None,
        price_end: PriceArg = None,
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> Iterator[SearchItemV2]:
        """v2 items across pages, starting at `page`; arguments are checked at once.

        Stops at `has_next_page: false` (or, without it, after the page that reaches
        `total_count`), at an empty page, after `max_items` items or `max_pages` pages.
        An image that is not a converted path is converted once, before the first page.
        """
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        prices = _validate_search_v2(
            img_url, page, page_size, language, sort, price_start, price_end, filters
        )
        plan: PagePlan[SearchItemV2] = PagePlan(page, page_size, max_items, max_pages)
        options: dict[str, Any] = {
            "language": language,
            "sort": sort,
            **prices,
            **filters,
            "timeout": timeout,
            "max_retries": max_retries,
            "on_retry": on_retry,
        }

        def pages() -> Iterator[SearchItemV2]:
            url = img_url
            if needs_conversion(url, True):
                _log_conversion(url)
                url = self.convert_image_url(
                    url,
                    search_api_endpoint=_V2_ENDPOINT,
                    timeout=timeout,
                    max_retries=max_retries,
                    on_retry=on_retry,
                )
            while True:
                data = self.search_by_image_v2(
                    url, page=plan.page, page_size=plan.page_size, **options
                )
                yield from plan.take(data)
                if not plan.advance(data):
                    return

        return pages()


class AsyncTmapiClient(_BaseClient):
    """Asynchronous twin of `TmapiClient`: the same arguments, methods and errors.

    `await client.search_by_image(...)`, `await client.convert_image_url(...)`,
    `async for item in client.iter_search_by_image(...)`; `async with` or `aclose()`.
    `max_concurrency` is an asyncio.Semaphore around each HTTP attempt.
    """

    _http: httpx.AsyncClient

    def __init__(
        self,
        api_token: str | Secret | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_concurrency: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        on_retry: RetryHook | None = None,
        auth: AuthMode | None = None,
        max_response_bytes: int = _transport.DEFAULT_MAX_RESPONSE_BYTES,
        deadline: float | None = None,
        on_drift: DriftHook | None = None,
    ) -> None:
        api_token = Secret.of(api_token)  # this frame's local: a Secret from here on
        super().__init__(
            api_token=api_token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            on_retry=on_retry,
            auth=auth,
            max_response_bytes=max_response_bytes,
            deadline=deadline,
            on_drift=on_drift,
        )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ValueError("http_client: must be an httpx.AsyncClient (use TmapiClient for sync)")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=_as_timeout("timeout", self.timeout), limits=self._pool_limits()
        )
        import asyncio  # only async users pay for it

        self._slots: AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(max_concurrency) if max_concurrency else _NullAsyncContext()
        )
        #: the event loop of the first call (a weak reference): the connection pool and the
        #: slots belong to it (`_check_loop`)
        self._loop: Callable[[], object] | None = None

    def _check_loop(self) -> None:
        """Refuse a call from another event loop than the first call's, naming the cause.

        httpx's connections are bound to the loop that opened them: under a second
        `asyncio.run()` they fail with a bare "Event loop is closed" (or hang, on a live
        loop of another thread).
        """
        import asyncio
        import weakref

        loop = asyncio.get_running_loop()
        first = None if self._loop is None else self._loop()
        if first is loop:
            return
        if self._loop is None:
            self._loop = weakref.ref(loop)
            return
        raise RuntimeError(
            "AsyncTmapiClient: used from another event loop than its first call's (a second "
            "asyncio.run(), or another thread's loop): its connections belong to that loop, "
            "which is closed or elsewhere. Make one client per event loop: create it inside "
            "the coroutine that asyncio.run() runs (`async with AsyncTmapiClient(...) as "
            "client:`)."
        )

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The httpx.AsyncClient (connection pool) every call of this client goes through."""
        return self._http

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def aclose(self) -> None:
        """Close the connection pool (unless it was given as `http_client`)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send_once(
        self,
        kwargs: dict[str, Any],
        parse: Callable[[httpx.Response], T],
        timeout: httpx.Timeout | None,
        end: float | None = None,
    ) -> T:
        error: TmapiError | None = None
        async with self._slots:
            attempt_timeout, seconds = self._attempt(timeout, end)
            request = self._http.build_request(**kwargs, timeout=attempt_timeout)
            try:
                response = await _transport.asend(
                    self._http,
                    request,
                    max_bytes=self.max_response_bytes,
                    seconds=seconds,
                    auth=self._auth,
                )
            except httpx.RequestError as exc:
                error = self._transport_error(exc)
        if error is not None:  # raised outside the except block: no `__context__` to leak
            raise error
        return parse(response)

    async def _retry(
        self,
        state: RetryState,
        first: TmapiError,
        kwargs: dict[str, Any],
        parse: Callable[[httpx.Response], T],
        timeout: httpx.Timeout | None,
        end: float | None = None,
    ) -> T:
        """Attempts 2.. after a failed first one, in stamina's loop (see `_call`)."""
        return await aretry_after_first(
            first,
            lambda: self._send_once(kwargs, parse, timeout, end),
            on=state.backoff_hook,
            attempts=state.max_attempts,
            on_attempt=state.start_attempt,
        )

    async def _call(
        self,
        operation: str,
        kwargs: dict[str, Any],
        parse: Callable[[httpx.Response], T],
        timeout: TimeoutTypes | NotGiven,
        max_retries: int | None,
        on_retry: RetryHook | None,
    ) -> T:
        call_timeout, retries, hook = self._call_options(timeout, max_retries, on_retry)
        state = RetryState(operation, retries, hook)
        started = time.perf_counter()
        self._check_loop()
        end = None if self.deadline is None else time.monotonic() + self.deadline
        state.deadline_at = end
        try:
            first: TmapiError | None = None
            try:
                result = await self._send_once(kwargs, parse, call_timeout, end)
            except TmapiError as error:
                first = error
            if first is not None:  # retried outside the except block: no `__context__` chain
                result = await self._retry(state, first, kwargs, parse, call_timeout, end)
        except TmapiError as exc:
            exc.attempts = state.attempt
            logger.debug("%s failed after %d attempt(s): %r", operation, state.attempt, exc)
            raise
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s ok after %d attempt(s) in %.3fs",
                operation,
                state.attempt,
                time.perf_counter() - started,
            )
        return result

    # -- the bulk runner's calls, in two steps ------------------------------------------
    # A call made under a slot of the runner's limiter holds the slot from the moment it
    # may be sent. The checks and the request (the SDK's validation, the query, httpx's
    # URL and Request: ~0.2-0.3 ms) do not need it: they are made first, and only the
    # send (and the parse of its answer) runs under the slot. Same request, same checks,
    # same errors as `search_by_image(..., convert=False, max_retries=0)`.
    def _search_sender(
        self,
        img_url: str,
        *,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
    ) -> Callable[[], Awaitable[SearchData]]:
        """`search_by_image(img_url, ..., convert=False, max_retries=0)`, checked and built
        now (a bad argument raises here), sent when the returned function is awaited."""
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        self._validate_search(img_url, page, page_size, language, sort, False, filters)
        kwargs = self._search_kwargs(img_url, page, page_size, language, sort, filters)
        return self._sender("search_by_image", kwargs, self._parse_search)

    def _search_v2_sender(
        self,
        img_url: str,
        *,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        price_start: PriceArg = None,
        price_end: PriceArg = None,
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
    ) -> Callable[[], Awaitable[SearchDataV2]]:
        """`search_by_image_v2` of a converted path with `max_retries=0`, in two steps
        (`_search_sender`)."""
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        prices = _validate_search_v2(
            img_url, page, page_size, language, sort, price_start, price_end, filters
        )
        if needs_conversion(img_url, True):
            raise ValueError("img_url: a v2 search in two steps takes a converted path")
        kwargs = self._search_v2_kwargs(img_url, page, page_size, language, sort, prices, filters)
        return self._sender("search_by_image_v2", kwargs, self._parse_search_v2)

    def _sender(
        self, operation: str, kwargs: dict[str, Any], parse: Callable[[httpx.Response], T]
    ) -> Callable[[], Awaitable[T]]:
        """One attempt of `_call` (`max_retries=0`): the request built now, sent later."""
        timeout, _, _ = self._call_options(NOT_GIVEN, 0, None)
        request = self._http.build_request(**kwargs, timeout=timeout)
        seconds = _transport.attempt_seconds(timeout)

        async def send() -> T:
            self._check_loop()
            error: TmapiError | None = None
            async with self._slots:
                try:
                    response = await _transport.asend(
                        self._http,
                        request,
                        max_bytes=self.max_response_bytes,
                        seconds=seconds,
                        auth=self._auth,
                    )
                except httpx.RequestError as exc:
                    error = self._transport_error(exc)
                except TmapiError as exc:  # too large, or past the attempt's deadline
                    error = exc
            if error is None:
                try:
                    return parse(response)
                except TmapiError as exc:
                    error = exc
            # raised outside the except blocks: no `__context__` to leak
            error.attempts = 1
            logger.debug("%s failed after 1 attempt(s): %r", operation, error)
            raise error

        return send

    async def convert_image_url(
        self,
        url: str,
        *,
        search_api_endpoint: str = "/global/search/image",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> str:
        """Async `TmapiClient.convert_image_url`."""
        validation.check_image_url(url, "url", allow_path=False)
        endpoint = validation.check_search_api_endpoint(search_api_endpoint)
        kwargs = self._convert_kwargs(url, endpoint)
        return await self._call(
            "convert_image_url", kwargs, self._parse_convert, timeout, max_retries, on_retry
        )

    async def search_by_image(
        self,
        img_url: str,
        *,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        convert: ConvertMode = "auto",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> SearchData:
        """Async `TmapiClient.search_by_image`."""
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        self._validate_search(img_url, page, page_size, language, sort, convert, filters)
        if needs_conversion(img_url, convert):
            _log_conversion(img_url)
            img_url = await self.convert_image_url(
                img_url, timeout=timeout, max_retries=max_retries, on_retry=on_retry
            )
        kwargs = self._search_kwargs(img_url, page, page_size, language, sort, filters)
        return await self._call(
            "search_by_image", kwargs, self._parse_search, timeout, max_retries, on_retry
        )

    def iter_search_by_image(
        self,
        img_url: str,
        *,
        max_items: int | None = None,
        max_pages: int | None = None,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        convert: ConvertMode = "auto",
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> AsyncIterator[SearchItem]:
        """Async `TmapiClient.iter_search_by_image` (`async for item in ...`)."""
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        self._validate_search(img_url, page, page_size, language, sort, convert, filters)
        plan: PagePlan[SearchItem] = PagePlan(page, page_size, max_items, max_pages)
        options: dict[str, Any] = {
            "language": language,
            "sort": sort,
            **filters,
            "timeout": timeout,
            "max_retries": max_retries,
            "on_retry": on_retry,
        }

        async def pages() -> AsyncIterator[SearchItem]:
            url = img_url
            if needs_conversion(url, convert):
                _log_conversion(url)
                url = await self.convert_image_url(
                    url, timeout=timeout, max_retries=max_retries, on_retry=on_retry
                )
            while True:
                data = await self.search_by_image(
                    url, page=plan.page, page_size=plan.page_size, convert=False, **options
                )
                for item in plan.take(data):
                    yield item
                if not plan.advance(data):
                    return

        return pages()

    async def search_by_image_v2(
        self,
        img_url: str,
        *,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        price_start: PriceArg = None,
        price_end: PriceArg = None,
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> SearchDataV2:
        """Async `TmapiClient.search_by_image_v2`."""
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        prices = _validate_search_v2(
            img_url, page, page_size, language, sort, price_start, price_end, filters
        )
        if needs_conversion(img_url, True):
            _log_conversion(img_url)
            img_url = await self.convert_image_url(
                img_url,
                search_api_endpoint=_V2_ENDPOINT,
                timeout=timeout,
                max_retries=max_retries,
                on_retry=on_retry,
            )
        kwargs = self._search_v2_kwargs(img_url, page, page_size, language, sort, prices, filters)
        return await self._call(
            "search_by_image_v2", kwargs, self._parse_search_v2, timeout, max_retries, on_retry
        )

    def iter_search_by_image_v2(
        self,
        img_url: str,
        *,
        max_items: int | None = None,
        max_pages: int | None = None,
        page: int = 1,
        page_size: int = 20,
        language: str = "en",
        sort: str = "default",
        price_start: PriceArg = None,
        price_end: PriceArg = None,
        support_dropshipping: bool | None = None,
        is_factory: bool | None = None,
        verified_supplier: bool | None = None,
        free_shipping: bool | None = None,
        new_arrival: bool | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        on_retry: RetryHook | None = None,
    ) -> AsyncIterator[SearchItemV2]:
        """Async `TmapiClient.iter_search_by_image_v2` (`async for item in ...`)."""
        filters = _filters(
            support_dropshipping, is_factory, verified_supplier, free_shipping, new_arrival
        )
        prices = _validate_search_v2(
            img_url, page, page_size, language, sort, price_start, price_end, filters
        )
        plan: PagePlan[SearchItemV2] = PagePlan(page, page_size, max_items, max_pages)
        options: dict[str, Any] = {
            "language": language,
            "sort": sort,
            **prices,
            **filters,
            "timeout": timeout,
            "max_retries": max_retries,
            "on_retry": on_retry,
        }

        async def pages() -> AsyncIterator[SearchItemV2]:
            url = img_url
            if needs_conversion(url, True):
                _log_conversion(url)
                url = await self.convert_image_url(
                    url,
                    search_api_endpoint=_V2_ENDPOINT,
                    timeout=timeout,
                    max_retries=max_retries,
                    on_retry=on_retry,
                )
            while True:
                data = await self.search_by_image_v2(
                    url, page=plan.page, page_size=plan.page_size, **options
                )
                for item in plan.take(data):
                    yield item
                if not plan.advance(data):
                    return

        return pages()


class _NullAsyncContext:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None
