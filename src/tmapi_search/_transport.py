"""Sending one attempt with bounded memory and time.

httpx reads a whole body into memory however large it is (or however long it keeps
coming), decompresses gzip without a limit, and its `timeout` bounds each network
operation, not the call: a server that sends a byte a second never times out. Here an
attempt is:

- streamed (`send(request, stream=True)`), the body read chunk by chunk and counted
  twice against `max_response_bytes`: the bytes on the wire and, for gzip/deflate,
  the bytes they decompress to (zlib's `max_length`: a compression bomb is never
  inflated past the limit). Past it: `ResponseTooLargeError` saying which count;
- bounded as a whole: connect, send and the whole read of the answer end within
  `seconds` (`DeadlineExceededError`). Async: `asyncio.timeout` around the attempt.
  Sync: each network operation is bounded by httpx's `timeout` (never more than
  `seconds`) and the deadline is checked after every chunk, so a drip is cut at the
  deadline (plus at most one read).

A page that holds more items than the request asked for (`page_size`) is cut to it
before it is read into models (`cut_page`): the client reports the cut.

What comes back is an ordinary `httpx.Response` whose `content` is the decoded body,
so reading an answer is the same as before.
"""

from __future__ import annotations

import re
import time
import zlib
from typing import Any, Final

import httpx

from tmapi_search._scrub import scrub
from tmapi_search.auth import ApiTokenAuth
from tmapi_search.errors import (
    BODY_PREVIEW_CHARS,
    DeadlineExceededError,
    MalformedResponseError,
    ResponseTooLargeError,
)

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "asend",
    "attempt_seconds",
    "check_max_response_bytes",
    "clip_timeout",
    "cut_page",
    "requested_page_size",
    "send",
]

#: 16 MiB: a 20-item page is ~10-40 KB; the largest page the contract allows stays far below.
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024
_ACCEPTED_ENCODINGS = "gzip, deflate"


def check_max_response_bytes(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"max_response_bytes: must be an integer >= 1, got {value!r}")
    return value


def attempt_seconds(timeout: httpx.Timeout | None) -> float | None:
    """How long one whole attempt may take: the largest of the timeout's values."""
    if timeout is None:
        return None
    values = [v for v in (timeout.connect, timeout.read, timeout.write, timeout.pool) if v]
    return max(values) if values else None


def clip_timeout(timeout: httpx.Timeout | None, seconds: float) -> httpx.Timeout:
    """`timeout` with no value above `seconds` (what is left of a call's deadline)."""
    seconds = max(seconds, 0.001)

    def clip(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    if timeout is None:
        return httpx.Timeout(seconds)
    return httpx.Timeout(
        connect=clip(timeout.connect),
        read=clip(timeout.read),
        write=clip(timeout.write),
        pool=clip(timeout.pool),
    )


class _Decoder:
    """One gzip or deflate layer, never producing more than it is allowed to."""

    __slots__ = ("_deflate", "_first", "_zlib")

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        wbits = zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16
        self._zlib = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes | None:
        """Up to `room` bytes decoded from `data`; None when more would come out."""
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error:
            if not (self._deflate and self._first):
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as httpx does
            out = self._zlib.decompress(data, room)
        self._first = False
        if self._zlib.unconsumed_tail:
            return None
        return out


class _Body:
    """The body of one answer, counted on the wire and decoded, against `limit`."""

    __slots__ = ("_auth", "_chunks", "_decoders", "_limit", "_raw", "_size", "_status")

    def __init__(self, response: httpx.Response, limit: int, auth: ApiTokenAuth) -> None:
        self._limit = limit
        self._auth = auth
        self._status = response.status_code
        self._chunks: list[bytes] = []
        self._raw = 0
        self._size = 0
        encodings = [
            part.strip().lower()
            for part in response.headers.get("content-encoding", "").split(",")
            if part.strip() and part.strip().lower() != "identity"
        ]
        for encoding in encodings:
            if encoding not in ("gzip", "x-gzip", "deflate"):
                raise self._malformed(f"unsupported Content-Encoding {encoding!r}")
        announced = response.headers.get("content-length", "")
        if not encodings and announced.isdigit() and int(announced) > limit:
            raise self._too_large("announced")  # nothing read: Content-Length says it all
        # applied in reverse order of their listing (the last one applied is listed last)
        self._decoders = [_Decoder("gzip" if e == "x-gzip" else e) for e in reversed(encodings)]

    def feed(self, chunk: bytes) -> None:
        self._raw += len(chunk)
        if self._raw > self._limit:
            raise self._too_large("compressed" if self._decoders else "received")
        for decoder in self._decoders:
            try:
                decoded = decoder.feed(chunk, self._limit - self._size + 1)
            except zlib.error:
                raise self._malformed("the compressed body is corrupt") from None
            if decoded is None:
                raise self._too_large("decompressed")
            chunk = decoded
        self._size += len(chunk)
        if self._size > self._limit:
            raise self._too_large("decompressed" if self._decoders else "received")
        if chunk:
            self._chunks.append(chunk)

    def read_already(self, content: bytes) -> None:
        """A body the transport read and decoded before (a mock's): its size is checked."""
        self._decoders = []
        self._size = len(content)
        self._chunks = [content]
        if self._size > self._limit:
            raise self._too_large("received")

    def content(self) -> bytes:
        return self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)

    def _preview(self) -> str:
        head = b"".join(self._chunks)[: BODY_PREVIEW_CHARS * 4] if self._chunks else b""
        text = head.decode("utf-8", errors="replace")[:BODY_PREVIEW_CHARS]
        return scrub(text, self._auth.token)

    def _too_large(self, counted: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"HTTP {self._status}: the answer is larger than max_response_bytes="
            f"{self._limit} ({counted} bytes counted); "
            + ("not read" if counted == "announced" else "reading stopped there"),
            status_code=self._status,
            body=self._preview(),
            limit=self._limit,
            counted=counted,
        )

    def _malformed(self, why: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"HTTP {self._status}: {why}", status_code=self._status, body=self._preview()
        )


def _late(seconds: float) -> DeadlineExceededError:
    return DeadlineExceededError(
        f"no complete answer within {seconds:g} s (the whole attempt: connect, send and "
        "the read of the whole answer)",
        seconds=seconds,
    )


def _prepare(request: httpx.Request) -> None:
    accepted = request.headers.get("accept-encoding")
    if accepted is not None and accepted != _ACCEPTED_ENCODINGS:
        # only what can be decoded with a bound (httpx adds br/zstd when installed)
        request.headers["accept-encoding"] = _ACCEPTED_ENCODINGS


def _complete(response: httpx.Response, content: bytes) -> httpx.Response:
    """The answer with its decoded body, as httpx's non-streamed `request` returns it.

    `Response.read()` keeps what it read in `_content`, and `content` returns it: the
    body read here is kept the same way (a new `Response` costs ~20 us a call more).
    """
    response._content = content
    return response


def send(
    http: httpx.Client,
    request: httpx.Request,
    *,
    max_bytes: int,
    seconds: float | None,
    auth: ApiTokenAuth,
) -> httpx.Response:
    """One attempt, bounded (see the module docstring). httpx errors pass through."""
    end = None if seconds is None else time.monotonic() + seconds
    _prepare(request)
    response = http.send(request, stream=True, auth=auth)
    try:
        body = _Body(response, max_bytes, auth)
        if response.is_stream_consumed:  # read already (a mock transport's answer)
            body.read_already(response.content)
            return response
        for chunk in response.iter_raw():
            body.feed(chunk)
            if end is not None and time.monotonic() > end:
                raise _late(seconds or 0.0)
    finally:
        response.close()
    return _complete(response, body.content())


async def _aread(
    http: httpx.AsyncClient, request: httpx.Request, max_bytes: int, auth: ApiTokenAuth
) -> httpx.Response:
    response = await http.send(request, stream=True, auth=auth)
    try:
        body = _Body(response, max_bytes, auth)
        if response.is_stream_consumed:  # read already (a mock transport's answer)
            body.read_already(response.content)
            return response
        async for chunk in response.aiter_raw():
            body.feed(chunk)
    finally:
        await response.aclose()
    return _complete(response, body.content())


async def asend(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    max_bytes: int,
    seconds: float | None,
    auth: ApiTokenAuth,
) -> httpx.Response:
    """`send` for the async client: the whole attempt under `asyncio.timeout(seconds)`."""
    import asyncio  # only async users pay for it

    _prepare(request)
    if seconds is None:
        return await _aread(http, request, max_bytes, auth)
    late = False
    try:
        async with asyncio.timeout(seconds):
            return await _aread(http, request, max_bytes, auth)
    except TimeoutError:
        late = True
    if late:  # raised outside the except block: no `__context__` chain
        raise _late(seconds)
    raise AssertionError("unreachable")  # pragma: no cover


_PAGE_SIZE = re.compile(rb"(?:^|&)page_size=([0-9]{1,9})(?:&|$)")


def requested_page_size(request: httpx.Request) -> int | None:
    """The `page_size` the request asked for (None when it did not say)."""
    found = _PAGE_SIZE.search(request.url.query)
    return int(found[1]) if found else None


def cut_page(payload: dict[str, Any], requested: int) -> int | None:
    """Cut `data.items` to `requested` items; the number it held when it held more, else None."""
    data = payload.get("data")
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or len(items) <= requested:
        return None
    received = len(items)
    del items[requested:]
    return received
