"""Local validation of call arguments, before any (paid) request is sent.

Every check raises `ValueError` whose message starts with the parameter's name, so a
caller (or a CLI) can tell which argument is wrong. The accepted values come from the
generated enums (`Language`, `Sort`, `SearchApiEndpoint`), i.e. from `openapi.yaml`.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CONVERTED_PATH_PREFIX",
    "MAX_PAGE_SIZE",
    "check_convert",
    "check_image_url",
    "check_limit",
    "check_search_api_endpoint",
    "check_search_args",
]

MAX_PAGE_SIZE = 20
CONVERTED_PATH_PREFIX = "/search/"


@functools.cache
def _choices() -> dict[str, tuple[str, ...]]:
    """The generated enums' values, read on first use (`import tmapi_search` stays light)."""
    from tmapi_client.models.language import Language
    from tmapi_client.models.search_api_endpoint import SearchApiEndpoint
    from tmapi_client.models.sort import Sort

    return {
        "LANGUAGES": tuple(member.value for member in Language),
        "SORTS": tuple(member.value for member in Sort),
        "SEARCH_API_ENDPOINTS": tuple(member.value for member in SearchApiEndpoint),
    }


def __getattr__(name: str) -> tuple[str, ...]:
    """LANGUAGES, SORTS, SEARCH_API_ENDPOINTS: computed from the generated enums on first use."""
    if name not in ("LANGUAGES", "SORTS", "SEARCH_API_ENDPOINTS"):  # e.g. importlib's __path__
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _choices()[name]


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s")
_BOOLEAN_FILTERS = (
    "support_dropshipping",
    "is_factory",
    "verified_supplier",
    "free_shipping",
    "new_arrival",
)


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name}: must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name}: must not be empty")
    if _CONTROL_CHARS.search(value):
        raise ValueError(f"{name}: must not contain control characters")
    return value


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name}: must be an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name}: must be {bound}, got {value}")
    return value


def is_converted_path(img_url: str) -> bool:
    """True for a path returned by the conversion endpoint (`/search/...`)."""
    return img_url.startswith(CONVERTED_PATH_PREFIX)


def check_image_url(img_url: object, name: str = "img_url", *, allow_path: bool = True) -> str:
    """An http(s) URL with a host, or (if `allow_path`) a converted `/search/...` path."""
    text = _check_text(name, img_url)
    if _WHITESPACE.search(text):
        raise ValueError(f"{name}: must not contain whitespace")
    if allow_path and is_converted_path(text):
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        expected = "an http(s) URL" + (" or a converted '/search/...' path" if allow_path else "")
        raise ValueError(f"{name}: must be {expected}, got {_preview(text)}")
    return text


def check_convert(convert: object) -> None:
    if convert not in ("auto", True, False) or (
        convert != "auto" and not isinstance(convert, bool)
    ):
        raise ValueError(f"convert: must be 'auto', True or False, got {convert!r}")


def check_search_api_endpoint(value: object) -> str:
    endpoints = _choices()["SEARCH_API_ENDPOINTS"]
    if value not in endpoints:
        raise ValueError(
            f"search_api_endpoint: must be one of {', '.join(endpoints)}, got {value!r}"
        )
    return str(value)


def check_limit(name: str, value: object) -> int | None:
    """`max_items` / `max_pages`: None (no limit) or an integer >= 1."""
    if value is None:
        return None
    return _check_int(name, value, 1)


def check_search_args(
    *,
    img_url: object,
    page: object,
    page_size: object,
    language: object,
    sort: object,
    convert: object,
    filters: dict[str, Any],
) -> None:
    """Validate every argument of `search_by_image`; raises ValueError naming the first bad one."""
    check_image_url(img_url)
    _check_int("page", page, 1)
    _check_int("page_size", page_size, 1, MAX_PAGE_SIZE)
    choices = _choices()
    if language not in choices["LANGUAGES"]:
        raise ValueError(
            f"language: must be one of {', '.join(choices['LANGUAGES'])}, got {language!r}"
        )
    if sort not in choices["SORTS"]:
        raise ValueError(f"sort: must be one of {', '.join(choices['SORTS'])}, got {sort!r}")
    for name in _BOOLEAN_FILTERS:
        value = filters.get(name)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{name}: must be True, False or None, got {value!r}")
    check_convert(convert)


def _preview(text: str, limit: int = 80) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)
