"""Session fixtures shared by all test suites.

`prism_base_url`: the Prism mock of openapi.yaml, started once per pytest session on a
free port (several test runs share this machine) and always stopped at the end, even
when tests fail (see mock/prism.py: own process group, killed as a group; on Linux the
kernel also stops it if pytest itself dies).

Platform markers (docs/platforms.md), put on each test at collection from what the test
uses, so that a new test is marked without anyone remembering to:
- `prism`: uses the Prism mock (npm); `chromium`: drives the system Chromium. The CI
  workflow runs them on Linux only (`-m "not prism and not chromium"` elsewhere).
- `posix`: sends POSIX signals or opens a pty; skipped on Windows.
- `linux`: mounts a tmpfs, reads /proc, writes /dev/full or forks; skipped elsewhere.
A test may also carry one of them explicitly.
"""

from __future__ import annotations

import inspect
import os
import sys

import pytest

from mock.prism import PrismServer

_started: list[PrismServer] = []

# pytest-xdist's workers export COLUMNS=80 / LINES=24; the tests run subprocesses that
# should see the environment a plain `pytest` gives them (a pipe, no fixed width).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


def _start_prism(request: pytest.FixtureRequest, **kwargs: object) -> PrismServer:
    server = PrismServer(**kwargs)  # type: ignore[arg-type]
    request.addfinalizer(server.stop)  # registered before start: stopped whatever happens
    try:
        server.start_and_wait()
    except Exception as exc:
        pytest.fail(f"could not start Prism: {exc}", pytrace=False)
    _started.append(server)
    return server


@pytest.fixture(scope="session")
def prism_server(request: pytest.FixtureRequest) -> PrismServer:
    """The session's Prism mock (static examples, no `--errors`)."""
    return _start_prism(request)


@pytest.fixture(scope="session")
def prism_base_url(prism_server: PrismServer) -> str:
    """Base URL of the session's Prism mock, e.g. "http://127.0.0.1:PORT"."""
    return prism_server.base_url


@pytest.fixture(scope="session")
def prism_errors_server(request: pytest.FixtureRequest) -> PrismServer:
    """A second Prism with `--errors`: any response or request that breaks the spec is an error."""
    return _start_prism(request, errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for server in _started:
        if server.startup_seconds is not None:
            flag = " --errors" if server.errors else ""
            terminalreporter.write_line(
                f"Prism{flag} (pid {server.pid}) started in {server.startup_seconds:.2f} s "
                f"on {server.base_url}"
            )


# what in a test's own source says it needs the platform (the first match names it)
_NEEDS: dict[str, tuple[str, ...]] = {
    "linux": ("small_tmpfs", "remount(", "/proc/", "/dev/full", "os.fork", "_workers("),
    "posix": ("send_signal(", "signal.SIGKILL", "signal.SIGTERM", "signal.SIGINT", "pty.openpty"),
    "prism": ("PrismServer", "mock.prism", "prism_"),
}
# fixtures whose name starts so (`page` uses `browser`)
_FIXTURES = {"prism": ("prism_",), "chromium": ("browser",)}
_PRISM_SUITES = ("tests/mock/", "tests/contract/")


def _platform_markers(item: pytest.Item) -> set[str]:
    names: set[str] = set()
    fixtures = getattr(item, "fixturenames", ())
    for marker, prefixes in _FIXTURES.items():
        if any(name.startswith(p) for name in fixtures for p in prefixes):
            names.add(marker)
    path = item.path.as_posix()
    if any(suite in path for suite in _PRISM_SUITES):
        names.add("prism")
    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        source = ""
    for marker, needles in _NEEDS.items():
        if any(needle in source for needle in needles):
            names.add(marker)
    return names


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    not_linux = pytest.mark.skip(reason="Linux only (tmpfs, /proc, /dev/full or fork)")
    not_posix = pytest.mark.skip(reason="POSIX only (signals or a pty)")
    for item in items:
        for name in _platform_markers(item):
            if item.get_closest_marker(name) is None:
                item.add_marker(name)
        if item.get_closest_marker("linux") and sys.platform != "linux":
            item.add_marker(not_linux)
        if item.get_closest_marker("posix") and os.name != "posix":
            item.add_marker(not_posix)
