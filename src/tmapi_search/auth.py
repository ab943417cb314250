"""The `apiToken` query-parameter auth, and keeping the token out of logs.

openapi-python-client ignores apiKey-in-query security schemes, so the generated
client never adds `apiToken`. `ApiTokenAuth` is an `httpx.Auth` that merges it into
every request's query string. The token is money (every call is billed): it is kept
out of `repr()`, and `RedactTokenFilter` removes it from log records (httpx's own
INFO line prints the full request URL, query string included).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator

import httpx

__all__ = ["TOKEN_PARAM", "ApiTokenAuth", "RedactTokenFilter", "install_log_redaction", "redact"]

TOKEN_PARAM = "apiToken"  # noqa: S105 (a parameter name, not a secret)
_MASK = "***"
_TOKEN_IN_QUERY = re.compile(r"(?i)(apiToken=)[^&\s'\"<>]*")


def redact(text: str, token: str | None = None) -> str:
    """Mask any `apiToken=...` query value in `text`, and the token itself wherever it occurs."""
    text = _TOKEN_IN_QUERY.sub(r"\1" + _MASK, text)
    if token:
        text = text.replace(token, _MASK)
    return text


class ApiTokenAuth(httpx.Auth):
    """Adds `apiToken=<token>` to the query of every request; its repr never shows the token."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("api_token: must be a non-empty string")
        if any(ch.isspace() or ord(ch) < 32 for ch in token):
            raise ValueError("api_token: must not contain whitespace or control characters")
        self._token = token

    @property
    def token(self) -> str:
        """The token itself (never printed by this object)."""
        return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params({TOKEN_PARAM: self._token})
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token={_MASK!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:  # pickling would put the token in a file
        raise TypeError("ApiTokenAuth cannot be pickled: the token must not leave the process")


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
