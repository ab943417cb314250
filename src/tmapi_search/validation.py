"""Local validation of call arguments, before any (paid) request is sent.

Every check raises `ValueError` whose message starts with the parameter's name, so a
caller (or a CLI) can tell which argument is wrong. The accepted values come from the
generated enums (`Language`, `Sort`, `SearchApiEndpoint`), i.e. from `openapi.yaml`.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CONVERTED_PATH_PREFIX",
    "MAX_PAGE_SIZE",
    "check_convert",
    "check_image_url",
    "check_limit",
    "check_price_range",
    "check_search_api_endpoint",
    "check_search_args",
    "check_search_v2_args",
    "encode_image_url",
    "local_path_problem",
]

MAX_PAGE_SIZE = 20
CONVERTED_PATH_PREFIX = "/search/"


@functools.cache
def _choices() -> dict[str, tuple[str, ...]]:
    """The generated enums' values, read on first use (`import tmapi_search` stays light)."""
    from tmapi_client.models.language import Language
    from tmapi_client.models.language_v2 import LanguageV2
    from tmapi_client.models.search_api_endpoint import SearchApiEndpoint
    from tmapi_client.models.sort import Sort

    return {
        "LANGUAGES": tuple(member.value for member in Language),
        "LANGUAGES_V2": tuple(member.value for member in LanguageV2),
        "SORTS": tuple(member.value for member in Sort),
        "SEARCH_API_ENDPOINTS": tuple(member.value for member in SearchApiEndpoint),
    }


def __getattr__(name: str) -> tuple[str, ...]:
    """LANGUAGES(_V2), SORTS, SEARCH_API_ENDPOINTS: from the generated enums on first use."""
    # anything else (e.g. importlib's __path__) is a plain AttributeError
    if name not in ("LANGUAGES", "LANGUAGES_V2", "SORTS", "SEARCH_API_ENDPOINTS"):
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


#: what a browser percent-encodes in a URL it is given (whitespace, and the ASCII
#: characters RFC 3986 leaves out); `%` is kept: a URL may be encoded already
_BROWSER_ENCODES = re.compile(r'[\s"<>\\^`{|}]')
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]")
_HOST_FIRST = re.compile(r"[\w-]+(\.[\w-]+)+/")
_IMAGE_SUFFIX = re.compile(r"(?i)\.(jpe?g|png|gif|webp|bmp|tiff?|heic|avif)$")


def encode_image_url(img_url: str) -> str:
    """`img_url` as a browser sends it: surrounding whitespace dropped, and whitespace and
    the other characters a browser encodes (`"` `<` `>` `\\` `^` `` ` `` `{` `|` `}`)
    percent-encoded as UTF-8 (`a b.jpg` -> `a%20b.jpg`). Everything else is kept as
    written: `%XX` escapes, reserved characters, non-ASCII letters (which the API takes).
    """
    text = img_url.strip()
    if not _BROWSER_ENCODES.search(text):
        return text
    return _BROWSER_ENCODES.sub(
        lambda match: "".join(f"%{byte:02X}" for byte in match.group().encode()), text
    )


def local_path_problem(text: str, name: str = "img_url") -> str | None:
    """The message for a local file path given where an image URL is expected, else None."""
    text = text.strip()
    parts = urlsplit(text)
    local = parts.scheme.lower() == "file" or (
        not parts.netloc
        and (
            text.startswith(("./", "../", ".\\", "..\\", "~", "\\"))
            or (text.startswith("/") and not is_converted_path(text))
            or bool(_WINDOWS_PATH.match(text))
            or (
                not parts.scheme
                and bool(_IMAGE_SUFFIX.search(text))
                and not _HOST_FIRST.match(text)  # "www.shop.com/a.jpg": a URL without http
            )
        )
    )
    if not local:
        return None
    return (
        f"{name}: {_preview(text)} is a local file; the API searches images by URL, so the "
        "photo must be hosted first (your shop, a CDN, an image host) and its http(s) URL "
        "given here"
    )


def check_image_url(img_url: object, name: str = "img_url", *, allow_path: bool = True) -> str:
    """An http(s) URL with a host, or (if `allow_path`) a converted `/search/...` path.

    Returns the text as given; whitespace inside is allowed (it is percent-encoded when
    sent: `encode_image_url`), control characters are not. A local file path is refused
    with a message saying that the photo must be hosted first.
    """
    text = _check_text(name, img_url)
    if not text.strip():
        raise ValueError(f"{name}: must not be blank")
    if allow_path and is_converted_path(text.strip()):
        if _WHITESPACE.search(text.strip()):
            raise ValueError(f"{name}: a converted path must not contain whitespace")
        return text
    local = local_path_problem(text, name)
    if local is not None:
        raise ValueError(local)
    parts = urlsplit(text.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
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


def check_search_v2_args(
    *,
    img_url: object,
    page: object,
    page_size: object,
    language: object,
    sort: object,
    filters: dict[str, Any],
) -> None:
    """Validate the arguments of `search_by_image_v2` (prices: `check_price_range`).

    Like v1, except: the v2 languages (en zh ru vi ja ko), and no maximum page size
    (the vendor documents none).
    """
    check_image_url(img_url)
    _check_int("page", page, 1)
    _check_int("page_size", page_size, 1)
    choices = _choices()
    if language not in choices["LANGUAGES_V2"]:
        raise ValueError(
            f"language: must be one of {', '.join(choices['LANGUAGES_V2'])} for the v2 "
            f"search, got {language!r}"
        )
    if sort not in choices["SORTS"]:
        raise ValueError(f"sort: must be one of {', '.join(choices['SORTS'])}, got {sort!r}")
    for name in _BOOLEAN_FILTERS:
        value = filters.get(name)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{name}: must be True, False or None, got {value!r}")


def _check_price(name: str, value: object) -> tuple[str, Decimal] | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"{name}: must be a price (a number or a decimal string), got {value!r}")
    text = value.strip() if isinstance(value, str) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name}: must be a decimal number such as '2' or '19.90'") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    return (text if isinstance(value, str) else format(number, "f")), number


def check_price_range(price_start: object, price_end: object) -> tuple[str | None, str | None]:
    """`price_start` / `price_end` of the v2 search as the strings to send (None: not sent).

    Each is a number >= 0 (int, float, Decimal or a decimal string); when both are
    given, `price_start` must not exceed `price_end`.
    """
    start = _check_price("price_start", price_start)
    end = _check_price("price_end", price_end)
    if start is not None and end is not None and start[1] > end[1]:
        raise ValueError(f"price_start: must not exceed price_end (got {start[0]} > {end[0]})")
    return (start[0] if start else None), (end[0] if end else None)


def _preview(text: str, limit: int = 80) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)
