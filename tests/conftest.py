"""Session fixtures shared by all test suites.

`prism_base_url`: the Prism mock of openapi.yaml, started once per pytest session on a
free port (several test runs share this machine) and always stopped at the end, even
when tests fail (see mock/prism.py: own process group, killed as a group; on Linux the
kernel also stops it if pytest itself dies).
"""

from __future__ import annotations

import os

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
