"""One connection pool per client, against a real local server (a free port).

Three calls through one client use one TCP connection; after close() / aclose() the
server sees that connection closed. `max_concurrency` bounds the requests the server
sees at once (async; the sync cap is tested through tmapi_mock). The server answers
the contract's first 200 example; it is a real socket server, not a mock.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tmapi_search import AsyncTmapiClient, TmapiClient, spec

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
PAGE = json.dumps(spec.response_example(), ensure_ascii=False).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CountingServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
            self.server.peak = max(self.server.peak, self.server.in_flight)
        if self.server.slow:
            self.server.release.wait(0.05)  # hold the request a moment so calls overlap
        with self.server.lock:
            self.server.in_flight -= 1
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def handle(self) -> None:
        try:
            super().handle()
        finally:  # the client closed the connection (EOF) or it broke
            with self.server.lock:
                self.server.closed += 1
                self.server.changed.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        return


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.opened = 0
        self.closed = 0
        self.in_flight = 0
        self.peak = 0
        self.slow = False
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def get_request(self) -> tuple[socket.socket, Any]:
        request = super().get_request()
        with self.lock:
            self.opened += 1
        return request

    def wait_all_closed(self, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.closed == self.opened, timeout)


@pytest.fixture
def server() -> Iterator[_CountingServer]:
    srv = _CountingServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=10)


def test_sync_client_reuses_one_connection_and_closes_it(server: _CountingServer) -> None:
    client = TmapiClient(TOKEN, base_url=f"http://127.0.0.1:{server.server_address[1]}")
    for page in (1, 2, 3):
        assert client.search_by_image(ALI_IMAGE, page=page).total_count == 666
    assert server.opened == 1 and server.closed == 0
    client.close()
    assert server.wait_all_closed()
    assert server.closed == 1


def test_async_client_reuses_one_connection_and_closes_it(server: _CountingServer) -> None:
    async def main() -> None:
        client = AsyncTmapiClient(TOKEN, base_url=f"http://127.0.0.1:{server.server_address[1]}")
        for page in (1, 2, 3):
            assert (await client.search_by_image(ALI_IMAGE, page=page)).total_count == 666
        assert server.opened == 1 and server.closed == 0
        await client.aclose()

    asyncio.run(main())
    assert server.wait_all_closed()
    assert server.closed == 1


def test_async_max_concurrency_caps_requests_in_flight(server: _CountingServer) -> None:
    server.slow = True

    async def main() -> list[int]:
        async with AsyncTmapiClient(
            TOKEN, base_url=f"http://127.0.0.1:{server.server_address[1]}", max_concurrency=2
        ) as client:
            pages = await asyncio.gather(
                *(client.search_by_image(ALI_IMAGE, page=page) for page in range(1, 9))
            )
            return [page.total_count for page in pages]

    assert asyncio.run(main()) == [666] * 8
    assert 1 <= server.peak <= 2
