"""A loopback server that misbehaves the way proxies, CDNs and broken upstreams do.

One mode per server (`HostileServer(mode)`), answering every request the same way;
"healthy" answers the spec's examples. It binds 127.0.0.1 only, and every connection
(and the server itself) has a bounded lifetime: an endless or dripping answer stops
after `lifetime` seconds even if the client under test never gives up.
"""

from __future__ import annotations

import functools
import json
import socket
import socketserver
import struct
import threading
import time
import zlib
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tmapi_search import spec

MODES = (
    "endless",
    "gzip_bomb",
    "huge",
    "oversized_page",
    "drip",
    "nested",
    "nan",
    "bigint",
    "token_body",
    "token_location",
    "429",
)
OVERSIZED_ITEMS = 1000
HUGE_BYTES = 100 * 1024 * 1024
NESTING = 100_000


def _search_example() -> dict[str, Any]:
    return spec.response_example(spec.SEARCH_PATH, "get", 200)


def _convert_body() -> bytes:
    return json.dumps(spec.response_example(spec.CONVERT_PATH, "post", 200)).encode()


@functools.cache
def gzip_bomb() -> bytes:
    """~1 MB of gzip that inflates to 1 GiB of zeros (built from one repeated block)."""
    block = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, reusable
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + piece * 1024 + b"\x03\x00" + struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF)


def _with_item_id(value_json: str) -> bytes:
    body = _search_example()
    body["data"]["items"][0]["item_id"] = "__ID__"
    return json.dumps(body).encode().replace(b'"__ID__"', value_json.encode())


def _escaped(token: str) -> str:
    return "".join(f"\\u{ord(char):04x}" for char in token)


class HostileServer:
    """`with HostileServer("drip") as server: ... server.base_url`."""

    def __init__(self, mode: str, *, lifetime: float = 60.0, drip_every: float = 1.0) -> None:
        if mode not in (*MODES, "healthy"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.lifetime = lifetime
        self.drip_every = drip_every
        self.requests = 0
        self._ends = time.monotonic() + lifetime
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None
        if mode == "gzip_bomb":
            gzip_bomb()  # built before the clock of any test starts

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HostileServer:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                try:
                    owner._serve(self.request)
                except OSError:  # the client went away: what a bounded client does
                    return

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.daemon_threads = True
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._ends = 0.0  # every connection loop ends at its next step
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- one connection ----------------------------------------------------------------
    def _alive(self) -> bool:
        return time.monotonic() < self._ends

    def _serve(self, conn: socket.socket) -> None:
        while self._alive():
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1]
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:])
            }
            length = int(headers.get("content-length", "0"))
            rest = head.split(b"\r\n\r\n", 1)[1]
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests += 1
            parts = urlsplit(target)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            token = params.get("apiToken") or headers.get("apikey") or ""
            if parts.path == spec.CONVERT_PATH:
                self._send(conn, 200, _convert_body())
                continue
            if not self._answer(conn, token):
                return

    def _send(
        self, conn: socket.socket, status: int, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        head = [f"HTTP/1.1 {status} X", "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        head.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def _answer(self, conn: socket.socket, token: str) -> bool:
        """Answer one search; False when the connection must close afterwards."""
        mode = self.mode
        if mode == "healthy":
            self._send(conn, 200, json.dumps(_search_example()).encode())
            return True
        if mode == "endless":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"[1," * 20000
            frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            while self._alive():
                conn.sendall(frame)
            return False
        if mode == "gzip_bomb":
            self._send(conn, 200, gzip_bomb(), {"Content-Encoding": "gzip"})
            return True
        if mode == "huge":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {HUGE_BYTES}\r\n\r\n".encode()
            )
            sent, block = 0, b'{"code":200,"msg":"' + b"a" * 65517
            while sent < HUGE_BYTES and self._alive():
                piece = block[: HUGE_BYTES - sent]
                conn.sendall(piece)
                sent += len(piece)
                block = b"a" * 65536
            return False
        if mode == "oversized_page":
            body = _search_example()
            items = body["data"]["items"]
            body["data"]["items"] = [
                dict(items[i % len(items)], item_id=7_000_000 + i) for i in range(OVERSIZED_ITEMS)
            ]
            self._send(conn, 200, json.dumps(body).encode())
            return True
        if mode == "drip":
            body = json.dumps(_search_example()).encode()
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            for index in range(len(body)):
                if not self._alive():
                    break
                conn.sendall(body[index : index + 1])
                time.sleep(self.drip_every)
            return False
        if mode == "nested":
            body = b'{"code":200,"msg":"success","data":' + b"[" * NESTING + b"]" * NESTING + b"}"
            self._send(conn, 200, body)
            return True
        if mode == "nan":
            self._send(conn, 200, _with_item_id("NaN"))
            return True
        if mode == "bigint":
            self._send(conn, 200, _with_item_id(str(2**70 + 1)))
            return True
        if mode == "token_body":
            body = (
                '{"code": 422, "msg": "refused: ' + _escaped(token) + '", '
                '"data": {"echo": "' + quote(token, safe="") + '", "plain": "' + token + '", '
                '"mixed": "' + token[:3] + _escaped(token[3:]) + '"}}'
            )
            self._send(conn, 422, body.encode())
            return True
        if mode == "token_location":
            body = '{"moved": "' + _escaped(token) + '"}'
            self._send(
                conn,
                302,
                body.encode(),
                {
                    "Location": f"https://elsewhere.invalid/?apiToken={quote(token)}&t={token}",
                    "X-Echo": token,
                },
            )
            return True
        if mode == "429":
            self._send(
                conn, 429, b'{"code": 429, "msg": "Too Many Requests"}', {"Retry-After": "1"}
            )
            return True
        raise AssertionError(mode)
