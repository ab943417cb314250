"""A local HTTP/1.1 keep-alive server answering every GET/POST with one fixed JSON page.

Run as a separate process by the benchmarks (so its CPU is not counted as the
client's): `python bench/_server.py` prints the port it bound (127.0.0.1:0, a free
one) and serves until killed. The page is the contract's `vendor_two_items` example
grown to 20 items (item ids changed), i.e. a full page.
"""

from __future__ import annotations

import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tmapi_search import spec


def full_page(items: int = 20) -> bytes:
    body = spec.response_example(name="vendor_two_items")
    examples = body["data"]["items"]
    body["data"]["items"] = [
        dict(examples[i % len(examples)], item_id=examples[0]["item_id"] + i) for i in range(items)
    ]
    body["data"]["page_size"] = items
    return json.dumps(body, ensure_ascii=False).encode()


PAGE = full_page()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without TCP_NODELAY, Nagle + the
        # client's delayed ACK idle each call ~40 ms, which adds CPU to *both* sides'
        # polling and flatters every ratio (bench/README, perf-notes).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()
