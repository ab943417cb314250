"""`make proxy-live`: Prism as a validating proxy reports answers that break the spec.

A tiny local HTTP server stands in for the live API (no network): once it answers the
documented example, once a body that breaks the schema.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mock.prism import PrismServer
from tmapi_search import spec

VENDOR_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


class _Upstream(BaseHTTPRequestHandler):
    body: bytes = b""
    seen: list[str] = []  # noqa: RUF012 (test double)

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[tuple[str, type[_Upstream]]]:
    handler = type("Upstream", (_Upstream,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


TOKEN = "proxy-SECRET-token-91c2"


def _through_proxy(upstream_url: str, handler: type[_Upstream], body: object) -> httpx.Response:
    handler.body = json.dumps(body).encode()
    with PrismServer(mode="proxy", upstream=upstream_url, errors=True) as proxy:
        response = httpx.get(
            f"{proxy.base_url}{spec.SEARCH_PATH}",
            params={"img_url": VENDOR_IMAGE, "apiToken": TOKEN},
            timeout=30,
        )
        log = proxy.log_tail(200)
    # Prism logs every forwarded URL; the copy we keep (or print) has the token masked
    assert "Forwarding" in log and "apiToken=***" in log
    assert TOKEN not in log
    return response


def test_proxy_passes_a_conforming_answer(upstream: tuple[str, type[_Upstream]]) -> None:
    url, handler = upstream
    response = _through_proxy(url, handler, spec.response_example(name="vendor_two_items"))
    assert response.status_code == 200
    assert "sl-violations" not in response.headers
    assert response.json() == spec.response_example(name="vendor_two_items")
    assert handler.seen and handler.seen[0].startswith(spec.SEARCH_PATH)


def test_proxy_reports_an_answer_that_breaks_the_spec(
    upstream: tuple[str, type[_Upstream]],
) -> None:
    url, handler = upstream
    broken = spec.response_example(name="vendor_two_items")
    broken["data"]["items"][0]["item_id"] = "not-an-integer"
    response = _through_proxy(url, handler, broken)
    assert response.status_code == 500
    assert "item_id" in response.headers.get("sl-violations", "") + response.text
