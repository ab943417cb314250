"""The OpenAPI contract shipped inside the package, and its named examples.

`openapi.yaml` is the single source of truth; it ships as package data so that an
installed user (and the `tmapi_mock` pytest fixture) reads the same examples the
mock server serves. Nothing here re-types an API shape.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

__all__ = [
    "CONVERT_PATH",
    "SEARCH_PATH",
    "SEARCH_V2_PATH",
    "documented_statuses",
    "error_example",
    "load_spec",
    "named_response_examples",
    "response_example",
    "response_examples",
    "spec_text",
]

SEARCH_PATH = "/1688/global/search/image"
SEARCH_V2_PATH = "/1688/global/search/image/v2"
CONVERT_PATH = "/1688/tools/image/convert_url"


def spec_text() -> str:
    """The raw text of the packaged `openapi.yaml`."""
    return resources.files("tmapi_search").joinpath("openapi.yaml").read_text(encoding="utf-8")


@functools.cache
def _load() -> dict[str, Any]:
    try:
        import yaml  # the `[testing]` extra: only the test doubles read the contract
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "tmapi_search.spec needs PyYAML: pip install 'tmapi-search[testing]'"
        ) from error
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(spec_text(), Loader=loader)  # noqa: S506 (safe loader)
    return spec


def load_spec() -> dict[str, Any]:
    """The parsed contract (a deep copy: callers may mutate it)."""
    return copy.deepcopy(_load())


def _resolve(node: Any) -> Any:
    spec = _load()
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _response(path: str, method: str, status: int | str) -> dict[str, Any]:
    operation = _load()["paths"][path][method]
    response: dict[str, Any] = _resolve(operation["responses"][str(status)])
    return response


def response_examples(path: str, method: str, status: int | str) -> dict[str, Any]:
    """All named example bodies of one documented response, by name (deep copies)."""
    media = _response(path, method, status)["content"]["application/json"]
    return {name: copy.deepcopy(_resolve(ex)["value"]) for name, ex in media["examples"].items()}


def response_example(
    path: str = SEARCH_PATH, method: str = "get", status: int | str = 200, name: str | None = None
) -> Any:
    """One named example body (the first one when `name` is None), as a fresh copy."""
    examples = response_examples(path, method, status)
    if name is None:
        return next(iter(examples.values()))
    try:
        return examples[name]
    except KeyError:
        raise KeyError(
            f"no example {name!r} for {method.upper()} {path} {status}; "
            f"documented: {', '.join(examples)}"
        ) from None


def error_example(code: int, path: str = SEARCH_PATH, method: str = "get") -> dict[str, Any]:
    """The documented error body for `code` (401, 417, 422, 439, 499, 500, 503).

    401's is the body observed live, `{"code": 4011, "message": ...}` (`message`, not `msg`).
    """
    body: dict[str, Any] = response_example(path, method, code)
    return body


def documented_statuses(path: str = SEARCH_PATH, method: str = "get") -> list[int]:
    """The HTTP statuses the contract documents for one operation."""
    return sorted(int(s) for s in _load()["paths"][path][method]["responses"])


def named_response_examples() -> list[tuple[str, str, int, str]]:
    """Every named response example of the contract: (path, method, status, name)."""
    found: list[tuple[str, str, int, str]] = []
    for path, operations in _load()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                media = _resolve(response).get("content", {}).get("application/json", {})
                found += [(path, method, int(status), name) for name in media.get("examples", {})]
    return found
