"""The two ways to send the token (`apiToken` query parameter, `apikey` header), and
keeping the token out of logs and exception chains.

openapi-python-client ignores apiKey security schemes, so the generated client never
adds the token. The contract accepts either scheme on every operation:

- `auth="query"` (the default: the seed page's documented way): `?apiToken=<token>`;
- `auth="header"` (the vendor's newer pages): an `apikey: <token>` request header, so
  no request URL ever contains the token (proxy logs, httpx's INFO line, Prism's echo).

The token is money (every call is billed): it is kept out of `repr()`,
`RedactTokenFilter` removes it from log records (httpx's own INFO line prints the
full request URL, query string included), and `scrub_transport_error` makes the copy
of an httpx error that the SDK chains to its own errors (`__cause__`), with the token
masked in its message, its request URL and its request headers.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Generator
from typing import Any, Final, Literal

import httpx

__all__ = [
    "AUTH_MODES",
    "MIN_TOKEN_LENGTH",
    "TOKEN_HEADER",
    "TOKEN_PARAM",
    "ApiTokenAuth",
    "AuthMode",
    "RedactTokenFilter",
    "check_auth_mode",
    "install_log_redaction",
    "pasting_problem",
    "redact",
    "resolve_auth_mode",
    "scrub_request",
    "scrub_transport_error",
]

TOKEN_PARAM: Final = "apiToken"  # noqa: S105 (a parameter name, not a secret)
TOKEN_HEADER: Final = "apikey"  # noqa: S105 (a header name, not a secret)
AuthMode = Literal["query", "header"]
AUTH_MODES: tuple[AuthMode, ...] = ("query", "header")
#: Shorter tokens are refused: masking a 1-letter token would mangle every message.
MIN_TOKEN_LENGTH: Final = 8
_MASK = "***"
_TOKEN_IN_QUERY = re.compile(r"(?i)(apiToken=)[^&\s'\"<>]*")
_TOKEN_IN_HEADER = re.compile(r"""(?i)(\bapikey['"]?\s*[:=]\s*['"]?)[^'"\s,;&}<>]+""")


def redact(text: str, token: str | None = None) -> str:
    """Mask any `apiToken=...` / `apikey: ...` value in `text`, and the token wherever it occurs."""
    text = _TOKEN_IN_QUERY.sub(r"\1" + _MASK, text)
    text = _TOKEN_IN_HEADER.sub(r"\1" + _MASK, text)
    if token:
        text = text.replace(token, _MASK)
    return text


def check_auth_mode(value: object, name: str = "auth") -> AuthMode:
    """'query' or 'header' (case-insensitive), else a ValueError naming `name`."""
    mode = value.strip().lower() if isinstance(value, str) else value
    if mode not in AUTH_MODES:
        raise ValueError(f"{name}: must be one of {', '.join(AUTH_MODES)}, got {value!r}")
    return mode


def resolve_auth_mode(auth: str | None) -> AuthMode:
    """`auth` if given, else the TMAPI_AUTH environment variable, else 'query'."""
    if auth is not None:
        return check_auth_mode(auth)
    from_env = os.environ.get("TMAPI_AUTH", "")
    if from_env.strip():
        return check_auth_mode(from_env, "TMAPI_AUTH")
    return "query"


_QUOTES = (('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("`", "`"))


def pasting_problem(token: str) -> str | None:
    """What is wrong with a token as pasted (quotes around it, whitespace around it), or
    None. Says what to strip, never shows the token."""
    problems = []
    text = token
    if text != text.strip():
        problems.append("surrounding whitespace (a space, tab or line break)")
        text = text.strip()
    for left, right in _QUOTES:
        if len(text) >= 2 and text.startswith(left) and text.endswith(right):
            problems.append(f"the quotes around it ({left}...{right})")
            break
    if not problems:
        return None
    quoted = problems[-1].startswith("the quotes")
    return (
        "the token as given has "
        + " and ".join(problems)
        + "; strip "
        + ("them" if len(problems) == 2 else "it")
        + " and give the token alone"
        + (" (some .env loaders keep the quotes of TMAPI_TOKEN='...')" if quoted else "")
    )


class ApiTokenAuth(httpx.Auth):
    """Sends the token as `?apiToken=` (mode "query") or an `apikey` header (mode "header").

    Its repr never shows the token; it cannot be pickled.
    """

    __slots__ = ("_mode", "_query_pair", "_token")

    def __init__(self, token: str, mode: AuthMode = "query") -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("api_token: must be a non-empty string")
        pasted = pasting_problem(token)
        if pasted is not None:
            raise ValueError(f"api_token: {pasted}")
        if any(ch.isspace() or ord(ch) < 32 for ch in token):
            raise ValueError("api_token: must not contain whitespace or control characters")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"api_token: too short ({len(token)} characters, at least {MIN_TOKEN_LENGTH}); "
                "is it the whole token from the vendor's console?"
            )
        self._token = token
        self._mode = check_auth_mode(mode)
        # what httpx makes of `params={"apiToken": token}` (encoded once, not per call)
        self._query_pair = str(httpx.QueryParams({TOKEN_PARAM: token}))

    @property
    def token(self) -> str:
        """The token itself (never printed by this object)."""
        return self._token

    @property
    def mode(self) -> AuthMode:
        return self._mode

    @property
    def query_pair(self) -> str:
        """`apiToken=<token>`, percent-encoded as httpx encodes query parameters."""
        return self._query_pair

    def apply(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Put the token into request kwargs (`params` / `headers`, as httpx takes them)."""
        if self._mode == "header":
            kwargs["headers"] = {**kwargs.get("headers", {}), TOKEN_HEADER: self._token}
        else:
            kwargs["params"] = {**kwargs.get("params", {}), TOKEN_PARAM: self._token}
        return kwargs

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._mode == "header":
            request.headers[TOKEN_HEADER] = self._token
        else:
            request.url = request.url.copy_merge_params({TOKEN_PARAM: self._token})
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token={_MASK!r}, mode={self._mode!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # pickling would put the token in a file
        raise TypeError("ApiTokenAuth cannot be pickled: the token must not leave the process")


def scrub_request(request: httpx.Request, token: str | None) -> httpx.Request:
    """A bodiless copy of `request` with the token masked in its URL and headers."""
    headers = [
        (name, _MASK if name.lower() == TOKEN_HEADER else redact(value, token))
        for name, value in request.headers.multi_items()
    ]
    return httpx.Request(request.method, redact(str(request.url), token), headers=headers)


def scrub_transport_error(error: httpx.RequestError, token: str | None) -> httpx.RequestError:
    """A copy of an httpx error without the token (message, request), and without a chain.

    The SDK chains this copy as `__cause__` of its own error: an error tracker that
    records chained exceptions (and their request) sees the httpx error's type and
    message, never the token.
    """
    message = redact(str(error), token)
    try:
        request: httpx.Request | None = scrub_request(error.request, token)
    except RuntimeError:  # httpx raises it when the error has no request
        request = None
    try:
        copy = type(error)(message, request=request)
    except TypeError:  # a subclass with another signature: keep the information, not the type
        copy = httpx.RequestError(f"{type(error).__name__}: {message}", request=request)
    copy.__cause__ = None
    copy.__context__ = None
    copy.__suppress_context__ = True
    return copy


class RedactTokenFilter(logging.Filter):
    """A logging filter that masks `apiToken=...` in a record's rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix; let logging report it
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_FILTER = RedactTokenFilter()


def install_log_redaction(*logger_names: str) -> None:
    """Attach the redaction filter to httpx's and httpcore's loggers (idempotent)."""
    for name in logger_names or ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
