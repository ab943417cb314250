"""Test doubles for TMAPI users (`pip install 'tmapi-search[testing]'`).

- `mock_tmapi()`: TMAPI mocked in-process (respx) for a `with` block; plain scripts and
  unittest. Bodies come from the packaged `openapi.yaml`'s named examples.
- the `tmapi_mock` / `tmapi_no_backoff` pytest fixtures (`tmapi_search.testing.plugin`,
  registered through the `pytest11` entry point).
- `local_tmapi_server()`: a real HTTP server on 127.0.0.1 that answers with the same
  examples, for code that does not go through httpx (or a subprocess).

Names are imported on first use, so `import tmapi_search.testing` itself needs nothing
beyond the SDK; a missing extra is reported with the line to install it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tmapi_search.testing.local_server import LocalTmapiServer, local_tmapi_server
    from tmapi_search.testing.mock import (
        EndpointMock,
        MalformedKind,
        RequestCheck,
        TmapiMock,
        mock_tmapi,
    )

__all__ = [
    "EndpointMock",
    "LocalTmapiServer",
    "MalformedKind",
    "RequestCheck",
    "TmapiMock",
    "local_tmapi_server",
    "mock_tmapi",
]

_WHERE = {
    "EndpointMock": "mock",
    "MalformedKind": "mock",
    "RequestCheck": "mock",
    "TmapiMock": "mock",
    "mock_tmapi": "mock",
    "LocalTmapiServer": "local_server",
    "local_tmapi_server": "local_server",
}

MISSING_EXTRA = "tmapi_search.testing needs its extra: pip install 'tmapi-search[testing]'"


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ModuleNotFoundError as error:
        if error.name in ("respx", "jsonschema", "yaml", "referencing"):
            raise ModuleNotFoundError(f"{MISSING_EXTRA} ({error.name} is missing)") from error
        raise
