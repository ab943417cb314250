"""The exception tree, typed by TMAPI's own error codes.

::

    TmapiError
    ├── APIConnectionError            no answer: refused, reset, DNS, TLS ...
    │   └── APITimeoutError           no answer in time (connect, read, write, pool)
    │       └── DeadlineExceededError the whole attempt (or call) passed its deadline
    ├── APIStatusError                an answer that is an error (.status_code .code .msg .body)
    │   ├── AuthenticationError       401 / code 4011  no or refused token: never retried
    │   ├── DataRetrievalError        417  transient: retried
    │   ├── ParameterError            422  the request is wrong: never retried
    │   ├── SubscriptionError         439  expired or insufficient balance: never retried
    │   ├── UpstreamTimeoutError      499  transient: retried
    │   ├── ServerError               500  retried
    │   ├── ConcurrencyLimitError     503  too many calls in flight: retried, slower
    │   └── RateLimitError            429  too many requests (a gateway's): retried like 503
    └── MalformedResponseError        a body that cannot be read as the contract says
        ├── ResponseTooLargeError     the body passed `max_response_bytes` (.limit, .counted)
        └── MalformedValueError       a value the contract cannot hold (.path): nested too
                                      deep, NaN/Infinity, an integer outside int64

An error `code` inside an HTTP 200 body raises the class of that code (its
`status_code` stays 200, its `code` is the body's). When an error status carries a
body whose `code` is another documented code, the body's code (TMAPI's own word)
picks the class. HTTP 401, and a body `code` 4011 (the vendor's observed "no API key
found in request"), raise `AuthenticationError`. An undocumented status raises
`APIStatusError` itself (or `MalformedResponseError` when its body is not TMAPI's
error shape, e.g. a proxy's HTML page).

Every error carries `attempts`: how many HTTP requests the call made before giving
up (1 when it was not retried). `.msg` is the body's `msg`, or its `message` when it
has no `msg` (the observed 401 says `message`), so `str(error)` carries the vendor's
words. The API token never appears in any message, `str`, `repr` or attribute of
these exceptions, nor in their chain (`__cause__` is a sanitised copy of the httpx
error, without the token in its request; `__context__` is cut): bodies are redacted
before they are kept.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GATEWAY_STATUSES",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "DataRetrievalError",
    "DeadlineExceededError",
    "MalformedResponseError",
    "MalformedValueError",
    "ParameterError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ServerError",
    "SubscriptionError",
    "TmapiError",
    "UpstreamTimeoutError",
    "error_class_for_code",
    "is_retryable",
]

BODY_PREVIEW_CHARS = 500


class TmapiError(Exception):
    """Base class of every error this package raises for a call to TMAPI."""

    #: Number of HTTP requests the call made (retries included) before raising.
    attempts: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only attributes survive pickling (e.g. across a process pool)
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[TmapiError], message: str, state: dict[str, Any]) -> TmapiError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class APIConnectionError(TmapiError):
    """No HTTP answer: the connection failed or was cut. Retried."""


class APITimeoutError(APIConnectionError):
    """No HTTP answer in time (the read timeout defaults to 60 s, as the vendor advises)."""


class DeadlineExceededError(APITimeoutError):
    """The answer was not complete within its deadline. Retried (within `deadline`).

    Each attempt (connect, send, the whole answer read) must end within the largest
    value of its `timeout`; a call with `deadline=` must end, retries and waits
    included, within that many seconds. A server that sends a byte now and then keeps
    every single read short: the deadline still ends the attempt.

    Attributes:
        seconds: the deadline that passed.
    """

    def __init__(self, message: str, *, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class APIStatusError(TmapiError):
    """TMAPI answered with an error: an error HTTP status, or an error `code` in a 200 body.

    Attributes:
        status_code: the HTTP status of the answer (200 for an error code inside the body).
        code: the `code` of the body (TMAPI's error code), or None when the body has none.
        msg: the `msg` of the body (the vendor's message), else its `message`, or None.
        body: the parsed JSON body (dict) when it is JSON, else its text truncated to
            500 characters; the token is redacted from it.
        retry_after: seconds from a `Retry-After` header, or None.
    """

    #: TMAPI's code for the subclass (None on APIStatusError itself).
    documented_code: int | None = None
    #: Whether TMAPI's table says a call answered with this error may be retried.
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: int | None = None,
        msg: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.msg = msg
        self.body = body
        self.retry_after = retry_after


class AuthenticationError(APIStatusError):
    """401 (or body code 4011): no token, or a token the API refuses. Never retried.

    The vendor's observed answer to a request without a key is HTTP 401
    `{"code": 4011, "message": "no API key found in request"}`. Check the token, and
    the way it is sent (`auth="query"` or `auth="header"`).
    """

    documented_code = 401
    #: The body code of the observed 401 ("no API key found in request").
    body_code = 4011


class DataRetrievalError(APIStatusError):
    """417: failed to retrieve data. Transient: retried with backoff."""

    documented_code = 417
    retryable = True


class ParameterError(APIStatusError):
    """422: parameter error. The request itself is wrong: never retried."""

    documented_code = 422


class SubscriptionError(APIStatusError):
    """439: subscription expired or insufficient balance. A billing state: never retried."""

    documented_code = 439


class UpstreamTimeoutError(APIStatusError):
    """499: the upstream request timed out. Transient: retried with backoff."""

    documented_code = 499
    retryable = True


class ServerError(APIStatusError):
    """500: unexpected error on TMAPI's side. Retried (a couple of times at most)."""

    documented_code = 500
    retryable = True


class ConcurrencyLimitError(APIStatusError):
    """503: the account's concurrency limit is exceeded. Retried with a longer backoff.

    A caller that adapts its own concurrency (e.g. a bulk runner) should slow down
    when it sees this, either from the client's `on_retry` hook or by calling with
    `max_retries=0` and handling it itself.
    """

    documented_code = 503
    retryable = True


class RateLimitError(APIStatusError):
    """429: too many requests (not in TMAPI's table: a gateway's or a proxy's rate limit).

    Transient: retried with the 503 backoff, a `Retry-After` header honoured (capped at
    60 s as for 503). The bulk runner leaves the image pending, so a plain rerun
    searches it.
    """

    documented_code = 429
    retryable = True


class MalformedResponseError(TmapiError):
    """An answer whose body cannot be read as the contract says.

    HTML from a proxy, an empty or truncated body, JSON that is not an object, `data`
    missing or null, a field of the wrong type. Never a raw KeyError/TypeError/
    ValueError/JSONDecodeError.

    Attributes:
        status_code: the HTTP status of the answer.
        body: the body's text, truncated to 500 characters, token redacted.
        retryable: True only for a gateway status (502, 504): those pages come from a
            proxy in front of TMAPI, not from TMAPI.
    """

    def __init__(self, message: str, *, status_code: int, body: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.retryable = status_code in GATEWAY_STATUSES


class ResponseTooLargeError(MalformedResponseError):
    """The answer's body passed the client's `max_response_bytes` (default 16 MiB).

    Bodies are read as they arrive and the read stops at the limit, so an endless or
    huge body, or a compression bomb, costs at most the limit in memory.

    Attributes:
        limit: the limit, in bytes.
        counted: which count passed it: "received" (an uncompressed body), "announced"
            (its Content-Length, before any byte is read), "compressed" (bytes on the
            wire of a gzip/deflate body) or "decompressed" (what they inflate to).
    """

    def __init__(
        self, message: str, *, status_code: int, body: str, limit: int, counted: str
    ) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.limit = limit
        self.counted = counted


class MalformedValueError(MalformedResponseError):
    """A JSON value the contract cannot hold, named by its path (`$.data.items[3].item_id`).

    JSON nested deeper than the decoder's limit, `NaN` / `Infinity`, an integer outside
    int64 or a number that is not an integer where the contract says `integer`.

    Attributes:
        path: where the value is, e.g. `$.data.items[0].item_id` (`$` is the body).
    """

    def __init__(self, message: str, *, status_code: int, body: str, path: str) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.path = path


#: Undocumented statuses that come from a gateway in front of TMAPI and are transient.
GATEWAY_STATUSES = frozenset({502, 504})

_BY_CODE: dict[int, type[APIStatusError]] = {
    cls.documented_code: cls
    for cls in (
        AuthenticationError,
        DataRetrievalError,
        ParameterError,
        SubscriptionError,
        UpstreamTimeoutError,
        ServerError,
        ConcurrencyLimitError,
        RateLimitError,
    )
    if cls.documented_code is not None
}
_BY_CODE[AuthenticationError.body_code] = AuthenticationError


def error_class_for_code(code: int | None) -> type[APIStatusError]:
    """The class for one of TMAPI's error codes (APIStatusError for an undocumented one).

    401 and 4011 (the body code of the observed 401) give `AuthenticationError`.
    """
    if code is None:
        return APIStatusError
    return _BY_CODE.get(code, APIStatusError)


def is_retryable(error: BaseException) -> bool:
    """TMAPI's table: connection errors, timeouts, 417, 499, 500, 503 (and gateway 502/504,
    and 429)."""
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIStatusError):
        if type(error).retryable:
            return True
        return type(error) is APIStatusError and error.status_code in GATEWAY_STATUSES
    if isinstance(error, MalformedResponseError):
        return error.retryable
    return False
