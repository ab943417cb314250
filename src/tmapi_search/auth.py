"""The two ways to send the token (`apiToken` query parameter, `apikey` header), and
keeping the token out of logs and exception chains.

openapi-python-client ignores apiKey security schemes, so the generated client never
adds the token. The contract accepts either scheme on every operation:

- `auth="query"` (the default: the seed page's documented way): `?apiToken=<token>`;
- `auth="header"` (the vendor's newer pages): an `apikey: <token>` request header, so
  no request URL ever contains the token (proxy logs, httpx's INFO line, Prism's echo).

The token is money (every call is billed): it lives in a `Secret` (whose `repr`/`str`
mask it) inside `ApiTokenAuth`, which puts it into the request httpx sends, as late as
possible (its auth flow: a copy of the request, made at send time). No frame of the SDK
holds a URL or a header dict with the token as a plain local, so an error tracker that
records frame locals (sentry-sdk's default) never sees it. It is kept out of `repr()`,
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
from typing import Final, Literal

import httpx

__all__ = [
    "AUTH_MODES",
    "MIN_TOKEN_LENGTH",
    "TOKEN_HEADER",
    "TOKEN_PARAM",
    "ApiTokenAuth",
    "AuthMode",
    "RedactTokenFilter",
    "Secret",
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


class Secret:
    """A string that never shows itself: `repr`/`str` give `Secret('***')`; `reveal()` the value.

    It cannot be pickled, and compares equal only to itself.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret: the value must be a string")
        self._value = value

    @classmethod
    def of(cls, value: str | Secret | None) -> Secret | None:
        """`value` as a Secret (None stays None; a Secret is returned as is)."""
        if value is None or isinstance(value, Secret):
            return value
        return cls(value)

    def reveal(self) -> str:
        """The value itself: use it inline, never keep it in a variable."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> str | tuple[object, ...]:  # pickling would put it in a file
        raise TypeError("Secret cannot be pickled: the value must not leave the process")


def redact(text: str, token: str | Secret | None = None) -> str:
    """Mask any `apiToken=...` / `apikey: ...` value in `text`, and the token wherever it occurs."""
    text = _TOKEN_IN_QUERY.sub(r"\1" + _MASK, text)
    text = _TOKEN_IN_HEADER.sub(r"\1" + _MASK, text)
    if isinstance(token, Secret):
        if token:
            text = text.replace(token.reveal(), _MASK)
    elif token:
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

    An `httpx.Auth`: pass it as `auth=` to httpx. At send time its flow yields a copy of
    the request with the token added (the caller's request object stays token-free, so a
    frame that holds it shows no token). The token is kept in a `Secret`; this object's
    repr never shows it; it cannot be pickled.
    """

    __slots__ = ("_mode", "_query_pair", "_token")

    def __init__(self, token: str | Secret, mode: AuthMode = "query") -> None:
        # from here on, this frame holds the token only inside a Secret
        token = token if isinstance(token, Secret) else Secret(_checked_str(token))
        if not token.reveal().strip():
            raise ValueError("api_token: must be a non-empty string")
        pasted = pasting_problem(token.reveal())
        if pasted is not None:
            raise ValueError(f"api_token: {pasted}")
        if any(ch.isspace() or ord(ch) < 32 for ch in token.reveal()):
            raise ValueError("api_token: must not contain whitespace or control characters")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"api_token: too short ({len(token)} characters, at least {MIN_TOKEN_LENGTH}); "
                "is it the whole token from the vendor's console?"
            )
        self._token = token
        self._mode = check_auth_mode(mode)
        # what httpx makes of `params={"apiToken": token}` (encoded once, not per call)
        self._query_pair = Secret(str(httpx.QueryParams({TOKEN_PARAM: token.reveal()})))

    @property
    def token(self) -> Secret:
        """The token, as a `Secret` (`.reveal()` gives the string)."""
        return self._token

    @property
    def mode(self) -> AuthMode:
        return self._mode

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield self.signed(request)

    def signed(self, request: httpx.Request) -> httpx.Request:
        """A copy of `request` that carries the token (`request` itself is left as it was).

        Query mode appends `apiToken=...` to the query as it stands (the pairs before it
        keep their encoding); header mode adds the `apikey` header.
        """
        sent = httpx.Request.__new__(httpx.Request)
        sent.__dict__.update(request.__dict__)  # same stream and extensions (timeouts)
        if self._mode == "header":
            sent.headers = request.headers.copy()
            sent.headers[TOKEN_HEADER] = self._token.reveal()
        else:
            sent.url = _with_pair(request.url, self._query_pair)
        return sent

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token={_MASK!r}, mode={self._mode!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # pickling would put the token in a file
        raise TypeError("ApiTokenAuth cannot be pickled: the token must not leave the process")


def _with_pair(url: httpx.URL, pair: Secret) -> httpx.URL:
    """`url` with the encoded `name=value` pair appended to its query.

    httpx's `copy_with` parses and checks the whole URL again (~0.1 ms with a long
    `img_url`). The URL is already parsed and the pair already encoded (by httpx's own
    `QueryParams`), so where httpx keeps its parsed URL as a named tuple (0.27, 0.28)
    only the query is replaced; elsewhere `copy_with` does it. The result is the same
    URL (tests/unit/test_client_request.py compares them).
    """
    reference = getattr(url, "_uri_reference", None)
    replace = getattr(reference, "_replace", None)
    if replace is not None and isinstance(getattr(reference, "query", None), str | None):
        signed = httpx.URL.__new__(httpx.URL)
        old = reference.query  # type: ignore[union-attr]
        signed._uri_reference = replace(query=f"{old}&{pair.reveal()}" if old else pair.reveal())
        return signed
    query = url.query
    return url.copy_with(query=(query + b"&" if query else b"") + pair.reveal().encode("ascii"))


def _checked_str(token: object) -> str:
    if not isinstance(token, str):
        raise ValueError("api_token: must be a non-empty string")
    return token


def scrub_request(request: httpx.Request, token: str | Secret | None) -> httpx.Request:
    """A bodiless copy of `request` with the token masked in its URL and headers."""
    headers = [
        (name, _MASK if name.lower() == TOKEN_HEADER else redact(value, token))
        for name, value in request.headers.multi_items()
    ]
    return httpx.Request(request.method, redact(str(request.url), token), headers=headers)


def scrub_transport_error(
    error: httpx.RequestError, token: str | Secret | None
) -> httpx.RequestError:
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
