"""A local TMAPI stand-in over real HTTP, for tests and benchmarks that need a socket.

The in-process `tmapi_mock` fixture (respx) cannot serve a CLI running as a
subprocess, and Prism has no notion of latency or of a concurrency cap. This server
(stdlib `ThreadingHTTPServer`, one thread per connection) answers the two TMAPI
endpoints (search v1, search v2, convert) with the packaged contract's examples --
never a re-typed body -- and can:

- answer each accepted call `latency` seconds after it arrived (its request line read:
  the time the stand-in spends parsing is inside L, as a real API's is);
- enforce a hidden concurrency `cap`: a call arriving while `cap` calls are in flight
  is refused at once with the documented 503 body;
- answer offers from named shops with price tiers (`offers_by_url`: a substring of
  `img_url` -> `testing.shops.ShopOffer`s, see `testing.shops.shop_page`);
- answer chosen documented errors: `errors_by_url` (a substring of `img_url` -> code),
  `billing_after` (every search call after the N-th answers 439);
- behave as production users report about converted paths: the v2 search answers 422
  to an `img_url` that is not a converted `/search/...` path; with `converted_ttl`
  (seconds), each conversion answers a new path (the spec's example path with `-N`
  before its extension) that stays valid for `converted_ttl` seconds, and a search
  with a path it did not issue or that has expired answers 422 (`stale_rejected`);
- page as an API whose pages hold other offers (the default: page N > 1 is the example
  with each `item_id` moved by N - 1 million, so no offer appears on two pages), or, with
  `repeat_pages=True`, as the vendor was seen to: every page the same example, the same
  offers again and again (`total_count` 666, 2 items a page);
- drift from the contract as a vendor does (`drift=True`): each search answer carries an
  undeclared item field (`video_url`) and its count as a string (`data.total_count`:
  `"666"`), for the drift report (`tmapi_search.drift`, `tmapi-search drift`);
- count what it saw (`search_calls` (v1 and v2), `search_v2_calls`, `convert_calls`,
  `rejected`, `max_in_flight`, `calls_by_url`), the token values (to assert they
  arrived, never to print) and how they came (`auth_seen`: "query" for `?apiToken=`,
  "header" for an `apikey` header). No token either way: the documented 401.

It binds 127.0.0.1 on a free port (`base_url` tells which) and logs nothing (its
access log would print query strings, token included). Its own cost per call is kept
small (bodies encoded once, headers and answer in one write, one sleep to a deadline),
so that benchmarks measure the client, not the stand-in.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tmapi_search import spec
from tmapi_search.testing.shops import ShopOffer, shop_page

__all__ = ["Answer", "LocalTmapiServer", "local_tmapi_server"]

#: (HTTP status, JSON body) -- a hook's answer; None lets the server answer normally.
Answer = tuple[int, Any]


class LocalTmapiServer:
    """See the module docstring. Use as a context manager, or `start()` / `stop()`."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        cap: int | None = None,
        errors_by_url: dict[str, int] | None = None,
        billing_after: int | None = None,
        search_example: str | None = None,
        hook: Callable[[str, dict[str, str]], Answer | None] | None = None,
        converted_ttl: float | None = None,
        offers_by_url: Mapping[str, Sequence[ShopOffer]] | None = None,
        drift: bool = False,
        repeat_pages: bool = False,
    ) -> None:
        self.latency = latency
        self.repeat_pages = repeat_pages
        self._pages: dict[tuple[str, int], bytes] = {}
        self.cap = cap
        self.errors_by_url = dict(errors_by_url or {})
        self.billing_after = billing_after
        self.hook = hook
        self.converted_ttl = converted_ttl
        # shop mode: a search whose img_url contains the key answers these offers
        self._shop_bodies = {
            fragment: json.dumps(shop_page(offers), ensure_ascii=False).encode()
            for fragment, offers in (offers_by_url or {}).items()
        }
        self.issued: dict[str, float] = {}  # converted path -> monotonic time it was issued
        self.stale_rejected = 0
        self.drift = drift
        search = spec.response_example(spec.SEARCH_PATH, "get", 200, search_example)
        search_v2 = spec.response_example(spec.SEARCH_V2_PATH, "get", 200)
        if drift:
            search, search_v2 = _drifted(search), _drifted(search_v2)
        self._search_body = json.dumps(search, ensure_ascii=False).encode()
        self._search_v2_body = json.dumps(search_v2, ensure_ascii=False).encode()
        self._convert_body = json.dumps(
            spec.response_example(spec.CONVERT_PATH, "post", 200)
        ).encode()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.search_calls = 0
        self.search_v2_calls = 0
        self.convert_calls = 0
        self.auth_seen: Counter[str] = Counter()
        self.rejected = 0
        self.calls_by_url: Counter[str] = Counter()
        self.tokens_seen: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalTmapiServer:
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> LocalTmapiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalTmapiServer(latency={self.latency}, cap={self.cap})"

    # -- answering ---------------------------------------------------------------------
    def _answer(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        header_token: str | None = None,
        arrived: float | None = None,
    ) -> tuple[int, bytes]:
        """The status and body for one call; `arrived`: its `time.monotonic()` arrival."""
        token = params.get("apiToken") or header_token
        if not token:
            return 401, _error_body(401, path)
        with self._lock:
            self.tokens_seen.add(token)
            self.auth_seen["query" if params.get("apiToken") else "header"] += 1
            if self.cap is not None and self.in_flight >= self.cap:
                self.rejected += 1
                return 503, _error_body(503, path)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if path != spec.CONVERT_PATH:
                self.search_calls += 1
                self.search_v2_calls += path == spec.SEARCH_V2_PATH
                number = self.search_calls
                self.calls_by_url[params.get("img_url", "")] += 1
            else:
                self.convert_calls += 1
                number = 0
        try:
            if self.latency:
                left = self.latency - (time.monotonic() - arrived if arrived else 0.0)
                if left > 0:
                    time.sleep(left)
            if self.hook is not None:
                custom = self.hook(path, params)
                if custom is not None:
                    status, body = custom
                    return status, json.dumps(body, ensure_ascii=False).encode()
            if path == spec.CONVERT_PATH:
                return 200, self._convert_answer()
            img_url = params.get("img_url", "")
            if path == spec.SEARCH_V2_PATH and not img_url.startswith("/search/"):
                return 422, _error_body(422, path)  # v2 takes converted paths only
            if not self._path_valid(img_url):
                with self._lock:
                    self.stale_rejected += 1
                return 422, _error_body(422, path)
            if self.billing_after is not None and number > self.billing_after:
                return 439, _error_body(439, path)
            for fragment, code in self.errors_by_url.items():
                if fragment in img_url:
                    return code, _error_body(code, path)
            for fragment, shop_body in self._shop_bodies.items():
                if fragment in img_url and path == spec.SEARCH_PATH:
                    return 200, shop_body
            body = self._search_v2_body if path == spec.SEARCH_V2_PATH else self._search_body
            page = params.get("page", "1")
            if self.repeat_pages or page in ("", "1") or not page.isdigit():
                return 200, body
            return 200, self._page_body(path, body, int(page))
        finally:
            with self._lock:
                self.in_flight -= 1

    def _page_body(self, path: str, body: bytes, page: int) -> bytes:
        """Page `page` of the example: its offers moved to ids of their own (see above)."""
        key = (path, page)
        with self._lock:
            cached = self._pages.get(key)
        if cached is not None:
            return cached
        data = json.loads(body)
        data["data"]["page"] = page
        for item in data["data"].get("items") or []:
            if isinstance(item.get("item_id"), int):
                item["item_id"] += (page - 1) * 1_000_000
        encoded = json.dumps(data, ensure_ascii=False).encode()
        with self._lock:
            if len(self._pages) < 10_000:
                self._pages[key] = encoded
        return encoded

    def _convert_answer(self) -> bytes:
        if self.converted_ttl is None:
            return self._convert_body
        body = json.loads(self._convert_body)
        stem, dot, ext = body["data"]["image_url"].rpartition(".")
        with self._lock:
            fresh = f"{stem}-{len(self.issued) + 1}{dot}{ext}"
            self.issued[fresh] = time.monotonic()
        body["data"]["image_url"] = fresh
        return json.dumps(body).encode()

    def _path_valid(self, img_url: str) -> bool:
        """With `converted_ttl`: a /search/ path must be one issued here, not expired."""
        if self.converted_ttl is None or not img_url.startswith("/search/"):
            return True
        with self._lock:
            issued = self.issued.get(img_url)
        return issued is not None and time.monotonic() - issued <= self.converted_ttl

    def expire_converted(self) -> None:
        """Make every path issued so far stale (as if `converted_ttl` had passed)."""
        with self._lock:
            self.issued = dict.fromkeys(self.issued, float("-inf"))


def _drifted(body: Any) -> Any:
    """The example as a drifting vendor sends it: an undeclared item field, a count as text."""
    data = body["data"]
    data["total_count"] = str(data["total_count"])
    for item in data["items"]:
        item["video_url"] = f"https://cloud.video.taobao.com/play/u/{item['item_id']}.mp4"
    return body


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away (killed, timed out) is normal here: no traceback."""
        return


_REASONS = {
    200: "OK",
    401: "Unauthorized",
    404: "Not Found",
    417: "Expectation Failed",
    422: "Unprocessable Entity",
    439: "Subscription Error",
    499: "Upstream Timeout",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@functools.lru_cache(maxsize=64)
def _error_body(code: int, path: str) -> bytes:
    """The documented error body (encoded once per code and path: bytes are immutable)."""
    method = "post" if path == spec.CONVERT_PATH else "get"
    return json.dumps(spec.error_example(code, path, method)).encode()


def _handler_for(owner: LocalTmapiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        arrived = 0.0

        def parse_request(self) -> bool:
            self.arrived = time.monotonic()  # the request line was just read
            return super().parse_request()

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            expected = {
                spec.SEARCH_PATH: "GET",
                spec.SEARCH_V2_PATH: "GET",
                spec.CONVERT_PATH: "POST",
            }.get(parts.path)
            if expected != method:
                status, body = 404, b'{"code": 404, "msg": "not found"}'
            else:
                status, body = owner._answer(
                    method, parts.path, params, self.headers.get("apikey"), self.arrived
                )
            head = (
                f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode("latin-1")
            self.wfile.write(head + body)  # one write: no Nagle / delayed-ACK stall

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            return  # the access log would print the query string, token included

    return Handler


@contextmanager
def local_tmapi_server(**options: Any) -> Iterator[LocalTmapiServer]:
    """`with local_tmapi_server(latency=0.05, cap=8) as server: ... server.base_url`."""
    server = LocalTmapiServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    """`python -m tmapi_search.testing.local_server --latency 0.1 --cap 8`: serve until killed.

    Prints the base URL on the first line of standard output once it listens.
    """
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="A local TMAPI stand-in (bodies from the spec).")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per accepted call")
    parser.add_argument("--cap", type=int, default=None, help="calls in flight before 503")
    parser.add_argument(
        "--repeat-pages",
        action="store_true",
        help="every page the same offers (as the vendor was seen to answer)",
    )
    parser.add_argument(
        "--cap-on-sigusr1",
        type=int,
        default=None,
        metavar="N",
        help="on SIGUSR1, change the cap to N (another client of the account starts)",
    )
    parser.add_argument(
        "--drift",
        action="store_true",
        help="answer as a drifting vendor: an undeclared item field, a count as a string",
    )
    args = parser.parse_args(argv)
    server = LocalTmapiServer(
        latency=args.latency, cap=args.cap, repeat_pages=args.repeat_pages, drift=args.drift
    ).start()
    if args.cap_on_sigusr1 is not None:
        if not hasattr(signal, "SIGUSR1"):  # Windows
            parser.error("--cap-on-sigusr1 needs SIGUSR1, which this platform does not have")
        new_cap: int = args.cap_on_sigusr1

        def change_cap(*_: object) -> None:
            server.cap = new_cap  # one attribute store: atomic for the handler threads

        signal.signal(signal.SIGUSR1, change_cap)
    print(server.base_url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
