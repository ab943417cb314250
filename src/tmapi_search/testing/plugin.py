"""The pytest plugin (`pytest11` entry point): the `tmapi_mock` and `tmapi_no_backoff` fixtures.

pytest loads this module in every project that has `tmapi-search` installed, so it
imports nothing beyond pytest: without the `[testing]` extra an SDK user's test suite
still runs, and only a test that asks for `tmapi_mock` fails, with the line to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tmapi_search.testing.mock import TmapiMock

__all__ = ["tmapi_mock", "tmapi_no_backoff"]


@pytest.fixture
def tmapi_mock() -> Iterator[TmapiMock]:
    """Mock TMAPI in-process (respx); bodies from the packaged `openapi.yaml`'s examples."""
    try:
        from tmapi_search.testing import mock_tmapi
    except ModuleNotFoundError as error:  # the `[testing]` extra is missing: say so, briefly
        pytest.fail(f"tmapi_mock: {error}", pytrace=False)

    with mock_tmapi() as mock:
        yield mock


@pytest.fixture
def tmapi_no_backoff() -> Iterator[None]:
    """Retries without their backoff sleeps (stamina's testing mode), attempt limits kept.

    The client's `max_retries` still decides how many attempts are made; `on_retry`
    events still carry the delay the policy chose, but nobody waits for it.
    """
    import stamina

    with stamina.set_testing(True, attempts=1000, cap=True):
        yield
