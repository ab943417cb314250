"""Start, wait for and stop the Prism mock of `openapi.yaml`.

Used by the Makefile (`make mock`, `make demo`, `make proxy-live`) and by the pytest
session (the `prism_base_url` fixture in tests/conftest.py). Rules it keeps:

- the pinned `node_modules/.bin/prism` is started directly (never `npx`, which could
  download an unpinned version);
- a port already taken is refused up front; port 0 means "pick a free one";
- readiness is probed over HTTP (any HTTP answer from our own process counts), with a
  30 s timeout; on failure the error shows the tail of Prism's log;
- Prism runs in its own process group and is stopped by that group id (TERM, then
  KILL); on Linux it also gets SIGTERM if the Python process that started it dies, so
  no orphan survives a crashed or killed test session.

Command line (`python -m mock.prism --help`):
    serve   run Prism in the foreground until Ctrl-C (make mock / make proxy-live)
    run     start Prism on a free port, run a command with TMAPI_BASE_URL set, stop Prism
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

from tmapi_search.auth import redact

__all__ = [
    "PRISM_BIN",
    "REPO_ROOT",
    "SPEC_PATH",
    "PortInUseError",
    "PrismError",
    "PrismServer",
    "free_port",
    "port_is_free",
    "running_prism",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT / "openapi.yaml"
PRISM_BIN = REPO_ROOT / "node_modules" / ".bin" / "prism"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
LOG_TAIL_LINES = 40

Mode = Literal["mock", "proxy"]


class PrismError(RuntimeError):
    """Prism could not be started (or did not become ready)."""


class PortInUseError(PrismError):
    """The requested port is already taken by another process."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (a listening socket makes bind fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free right now (the OS picks it: bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


def _copy_redacted(source: IO[bytes], sink: IO[bytes], close_sink: bool) -> None:
    """Copy Prism's output line by line with any `apiToken=...` masked.

    In proxy mode Prism logs every forwarded URL, query string (and token) included.
    """
    try:
        for line in iter(source.readline, b""):
            sink.write(redact(line.decode("utf-8", "replace")).encode("utf-8"))
            sink.flush()
    except (OSError, ValueError):  # the sink or the pipe went away while stopping
        pass
    finally:
        source.close()
        if close_sink:
            sink.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: ask the kernel to SIGTERM the child when its parent dies (no orphan)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class PrismServer:
    """One Prism process: `start()` (refuses a taken port), `wait_until_ready()`, `stop()`.

    Use as a context manager (`with PrismServer(...) as prism: prism.base_url`), which
    starts, waits and always stops. `port=0` picks a free port (and retries on the rare
    race where another process takes it between the pick and Prism's bind).
    """

    def __init__(
        self,
        *,
        spec: Path | str = SPEC_PATH,
        host: str = "127.0.0.1",
        port: int = 0,
        errors: bool = False,
        mode: Mode = "mock",
        upstream: str | None = None,
        extra_args: Sequence[str] = (),
        log_path: Path | str | None = None,
        foreground: bool = False,
        prism_bin: Path | str = PRISM_BIN,
    ) -> None:
        if mode == "proxy" and not upstream:
            raise ValueError("upstream: proxy mode needs the upstream base URL")
        if not 0 <= port <= 65535:
            raise ValueError(f"port: must be between 0 and 65535, got {port}")
        self.spec = Path(spec)
        self.host = host
        self.requested_port = port
        self.port = port
        self.errors = errors
        self.mode = mode
        self.upstream = upstream
        self.extra_args = list(extra_args)
        self.foreground = foreground
        self.prism_bin = Path(prism_bin)
        self._own_log = log_path is None and not foreground
        self.log_path: Path | None = Path(log_path) if log_path else None
        self.process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None
        self.startup_seconds: float | None = None

    # -- what it is -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        cmd = [str(self.prism_bin), self.mode, str(self.spec)]
        if self.mode == "proxy":
            assert self.upstream is not None
            cmd.append(self.upstream)
        cmd += ["--host", self.host, "--port", str(self.port)]
        if self.errors:
            cmd.append("--errors")
        return cmd + self.extra_args

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log file: Prism's output went to the terminal)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(Prism wrote nothing)"

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> PrismServer:
        """Start Prism (not yet ready: call `wait_until_ready`)."""
        if self.process is not None:
            raise PrismError("Prism is already started")
        if not self.prism_bin.exists():
            raise PrismError(f"{self.prism_bin} not found: run `make install` (npm ci) first")
        if not self.spec.exists():
            raise PrismError(f"spec not found: {self.spec}")
        if self.requested_port == 0:
            self.port = free_port(self.host)
        elif not port_is_free(self.requested_port, self.host):
            raise PortInUseError(
                f"port {self.requested_port} on {self.host} is already in use; "
                "stop what runs there or choose another port (MOCK_PORT=...)"
            )
        sink: IO[bytes] = sys.stdout.buffer
        if not self.foreground:
            if self.log_path is None:
                fd, name = tempfile.mkstemp(prefix=f"prism-{self.port}-", suffix=".log")
                os.close(fd)
                self.log_path = Path(name)
            sink = self.log_path.open("wb")
        try:
            self.process = subprocess.Popen(  # noqa: S603 (fixed argv, no shell)
                self.command(),
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stopped as a group
                preexec_fn=_die_with_parent,  # Linux: SIGTERM if we die
            )
        except BaseException:
            if not self.foreground:
                sink.close()
            raise
        assert self.process.stdout is not None
        self._pump = threading.Thread(
            target=_copy_redacted,
            args=(self.process.stdout, sink, not self.foreground),
            name=f"prism-log-{self.port}",
            daemon=True,
        )
        self._pump.start()
        self._started_at = time.monotonic()
        return self

    def wait_until_ready(self, timeout: float = READY_TIMEOUT) -> PrismServer:
        """Poll over HTTP until Prism answers; raise PrismError (with its log) otherwise."""
        if self.process is None:
            raise PrismError("Prism is not started")
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise PrismError(
                    f"Prism exited with status {code} before it was ready "
                    f"({' '.join(self.command())}).\n--- Prism log ---\n{self.log_tail()}"
                )
            if self._answers():
                self.startup_seconds = time.monotonic() - self._started_at
                return self
            if time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise PrismError(
                    f"Prism did not answer on {self.base_url} within {timeout:.0f} s.\n"
                    f"--- Prism log ---\n{tail}"
                )
            time.sleep(0.1)

    def _answers(self) -> bool:
        """Any HTTP answer (even 404) means Prism's HTTP server is up."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/", timeout=2):  # noqa: S310 (http URL we built)
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> int | None:
        """Stop Prism's whole process group (TERM, then KILL); safe to call twice."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
        # the leader is gone: make sure nothing else of its group survives
        self._signal_group(process.pid, signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(timeout=STOP_TIMEOUT)
        if self._own_log and self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
        return process.returncode

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pgid, sig)
        except OSError as exc:  # already gone
            if exc.errno not in (errno.ESRCH, errno.EPERM):
                raise

    def start_and_wait(self, timeout: float = READY_TIMEOUT, attempts: int = 3) -> PrismServer:
        """start() + wait_until_ready(); with port 0, retry on a lost race for the port."""
        for attempt in range(1, attempts + 1):
            self.start()
            try:
                return self.wait_until_ready(timeout)
            except PrismError as exc:
                self.stop()
                self.process = None
                lost_race = "EADDRINUSE" in str(exc) or "address already in use" in str(exc)
                if self.requested_port != 0 or not lost_race or attempt == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def __enter__(self) -> PrismServer:
        try:
            return self.start_and_wait()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running_prism(**kwargs: object) -> Iterator[PrismServer]:
    """`with running_prism(errors=True) as prism:` -- a started, ready Prism, always stopped."""
    server = PrismServer(**kwargs)  # type: ignore[arg-type]
    with server:
        yield server


# -- command line ---------------------------------------------------------------------
def _stop_on_signals() -> None:
    """Ctrl-C, `kill PID` and a closed terminal all end in the `finally` that stops Prism."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited as ignored
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)


def _serve(args: argparse.Namespace) -> int:
    _stop_on_signals()
    server = PrismServer(
        host=args.host,
        port=args.port,
        errors=args.errors,
        mode="proxy" if args.upstream else "mock",
        upstream=args.upstream,
        foreground=True,
    )
    try:
        server.start_and_wait()
    except PrismError as exc:
        print(f"mock: {exc}", file=sys.stderr)
        return 2
    what = f"proxy of {args.upstream}" if args.upstream else "mock"
    print(
        f"mock: Prism {what} of {server.spec.name} on {server.base_url} "
        f"(pid {server.pid}, ready in {server.startup_seconds:.1f} s); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    try:
        assert server.process is not None
        return server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


def _run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("mock run: give the command to run after --", file=sys.stderr)
        return 2
    _stop_on_signals()
    try:
        with PrismServer(port=args.port, errors=args.errors) as server:
            print(
                f"mock: Prism ready on {server.base_url} in {server.startup_seconds:.1f} s "
                f"(pid {server.pid})",
                file=sys.stderr,
                flush=True,
            )
            env = {**os.environ, "TMAPI_BASE_URL": server.base_url}
            try:
                return subprocess.call(command, env=env)  # noqa: S603 (the user's command)
            finally:
                print(f"mock: stopping Prism (pid {server.pid})", file=sys.stderr, flush=True)
    except PrismError as exc:
        print(f"mock: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mock.prism", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="action", required=True)

    serve = sub.add_parser("serve", help="run Prism in the foreground until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("MOCK_PORT", "4010")))
    serve.add_argument("--errors", action="store_true", help="report spec violations as errors")
    serve.add_argument("--upstream", help="proxy mode: forward to this base URL")
    serve.set_defaults(func=_serve)

    run = sub.add_parser("run", help="start Prism, run a command with TMAPI_BASE_URL, stop Prism")
    run.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    run.add_argument("--errors", action="store_true")
    run.add_argument("command", nargs=argparse.REMAINDER)
    run.set_defaults(func=_run)

    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
