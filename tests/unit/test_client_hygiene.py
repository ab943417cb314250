"""Token hygiene, TMAPI_LOG logging, and max_concurrency."""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tmapi_search import AsyncTmapiClient, TmapiClient, _logging
from tmapi_search.testing import TmapiMock

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"

pytestmark = pytest.mark.usefixtures("tmapi_no_backoff")


@pytest.mark.parametrize("cls", [TmapiClient, AsyncTmapiClient])
def test_token_not_in_client_repr_or_str(cls: type[TmapiClient]) -> None:
    client = cls(TOKEN)
    for text in (repr(client), str(client), repr(client._auth), repr(vars(client))):
        assert TOKEN not in text


def test_auth_cannot_be_pickled() -> None:
    with TmapiClient(TOKEN) as client, pytest.raises(TypeError):
        pickle.dumps(client._auth)


@pytest.fixture
def tmapi_log_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let setup_logging() read TMAPI_LOG again, and undo what it configures."""
    monkeypatch.setattr(_logging, "_configured", False)
    loggers = [logging.getLogger(name) for name in ("tmapi_search", "httpx")]
    saved = [(lg.level, list(lg.handlers)) for lg in loggers]
    yield
    for lg, (level, handlers) in zip(loggers, saved, strict=True):
        lg.setLevel(level)
        lg.handlers[:] = handlers
    monkeypatch.setattr(_logging, "_configured", True)


@pytest.mark.usefixtures("tmapi_log_env")
@pytest.mark.parametrize("level", ["debug", "info"])
def test_tmapi_log_turns_logging_on_without_the_token(
    level: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmapi_mock: TmapiMock,
) -> None:
    monkeypatch.setenv("TMAPI_LOG", level)
    tmapi_mock.search.error(500).success()
    with TmapiClient(TOKEN) as client:
        client.search_by_image(ALI_IMAGE)
    err = capsys.readouterr().err
    assert "retrying search_by_image after attempt 1/3" in err
    assert "HTTP Request: GET" in err and "apiToken=***" in err
    assert ("search_by_image ok after 2 attempt(s)" in err) == (level == "debug")
    assert TOKEN not in err


@pytest.mark.usefixtures("tmapi_log_env")
def test_no_tmapi_log_means_no_handler(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmapi_mock: TmapiMock
) -> None:
    monkeypatch.delenv("TMAPI_LOG", raising=False)
    with TmapiClient(TOKEN) as client:
        client.search_by_image(ALI_IMAGE)
    assert logging.getLogger("tmapi_search").handlers == []
    assert "HTTP Request" not in capsys.readouterr().err


def test_max_concurrency_caps_calls_in_flight(tmapi_mock: TmapiMock) -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json=tmapi_mock.search.example())

    tmapi_mock.search.calls_with(slow)
    with TmapiClient(TOKEN, max_concurrency=2) as client, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: client.search_by_image(ALI_IMAGE), range(12)))
    assert len(results) == 12 and tmapi_mock.search.call_count == 12
    assert peak <= 2
