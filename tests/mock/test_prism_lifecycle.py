"""mock/prism.py: port checks, readiness, failure with the log shown, no orphan left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mock.prism import REPO_ROOT, PortInUseError, PrismError, PrismServer, free_port, port_is_free


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_session_prism_answers(prism_base_url: str) -> None:
    assert prism_base_url.startswith("http://127.0.0.1:")
    response = httpx.get(f"{prism_base_url}/no/such/path")
    assert response.status_code == 404  # Prism's answer for an undocumented route


def test_refuses_a_port_already_taken() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free(port)
        server = PrismServer(port=port)
        with pytest.raises(PortInUseError, match=f"port {port} .* already in use"):
            server.start()
        assert server.process is None  # nothing was started


def test_start_and_stop_leaves_no_process() -> None:
    with PrismServer() as server:
        pid = server.pid
        assert pid is not None and _alive(pid)
        assert httpx.get(f"{server.base_url}/").status_code == 404
    assert not _alive(pid)
    assert port_is_free(server.port)


def test_stopped_even_when_the_body_fails() -> None:
    server = PrismServer()

    def failing_test_body() -> None:
        with server:
            assert server.pid is not None and _alive(server.pid)
            raise AssertionError("the test failed")

    with pytest.raises(AssertionError, match="the test failed"):
        failing_test_body()
    assert server.pid is not None and not _alive(server.pid)


def test_failure_to_start_shows_prisms_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: [this is not an info object\n")
    server = PrismServer(spec=broken)
    with pytest.raises(PrismError, match="Prism log") as info:
        server.start_and_wait(timeout=30)
    assert "Prism exited" in str(info.value) or "did not answer" in str(info.value)
    assert server.pid is None or not _alive(server.pid)


def test_no_orphan_when_the_parent_is_killed() -> None:
    """A Python process starts Prism, then dies by SIGKILL: Prism must not survive it."""
    script = (
        "import sys, time; from mock.prism import PrismServer\n"
        "s = PrismServer().start_and_wait(); print(s.pid, flush=True); time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        prism_pid = int(parent.stdout.readline())
        assert _alive(prism_pid)
    finally:
        parent.kill()
        parent.wait()
    for _ in range(100):  # the kernel delivers SIGTERM to Prism when its parent dies
        if not _alive(prism_pid):
            break
        time.sleep(0.1)
    else:
        os.killpg(prism_pid, 9)
        pytest.fail("Prism survived its parent")


def test_free_port_is_free() -> None:
    assert port_is_free(free_port())


def test_readiness_timeout_shows_the_log_and_stops_the_process(tmp_path: Path) -> None:
    """A 'Prism' that never listens: the wait times out, shows its log, leaves nothing."""
    fake = tmp_path / "prism"
    fake.write_text("#!/bin/sh\necho 'starting, but never listening'\nexec sleep 60\n")
    fake.chmod(0o755)
    server = PrismServer(prism_bin=fake)
    server.start()
    pid = server.pid
    with pytest.raises(PrismError, match="did not answer") as info:
        server.wait_until_ready(timeout=1)
    assert "starting, but never listening" in str(info.value)
    assert pid is not None and not _alive(pid)


def test_make_mock_runs_in_the_foreground_refuses_a_taken_port_and_stops_on_ctrl_c() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env["MOCK_PORT"] = str(port)
    make = subprocess.Popen(
        ["make", "--no-print-directory", "mock"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    try:
        url = f"http://127.0.0.1:{port}/1688/global/search/image"
        for _ in range(600):
            try:
                answer = httpx.get(url, params={"img_url": "x", "apiToken": "t"})
                break
            except httpx.TransportError:
                assert make.poll() is None, make.stdout.read() if make.stdout else ""
                time.sleep(0.1)
        else:
            pytest.fail("make mock never answered")
        assert answer.status_code == 200
        again = subprocess.run(
            ["make", "--no-print-directory", "mock"], cwd=REPO_ROOT, env=env,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert again.returncode != 0
        assert f"port {port} on 127.0.0.1 is already in use" in again.stderr
    finally:
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        make.wait(timeout=30)
    assert port_is_free(port)  # Prism (in its own group) was stopped by mock/prism.py
    output = make.stdout.read().decode() if make.stdout else ""
    assert f"on http://127.0.0.1:{port}" in output
