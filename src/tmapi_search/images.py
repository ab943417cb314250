"""Which image URLs TMAPI can search as they are, and which must be converted first.

The vendor: "Only images from Alibaba-affiliated platforms can be identified. Non-Ali
image needs to be converted using [the] Image URL conversion API first". The vendor
does not publish the list of hosts; `ALIBABA_IMAGE_HOSTS` below is the one place
where this package keeps it (domain suffixes: a host matches when it is one of them or
a subdomain of one). Edit it here, nowhere else.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from tmapi_search.validation import is_converted_path

__all__ = [
    "ALIBABA_IMAGE_HOSTS",
    "V2_SEARCH_API_ENDPOINT",
    "ConvertMode",
    "is_alibaba_image_host",
    "needs_conversion",
]

ConvertMode = Literal["auto"] | bool

#: The `search_api_endpoint` a path converted for the v2 search is converted with. The v2
#: search takes converted paths only (field reports: a raw URL, even an Alibaba one, is
#: answered 422 "Invalid image url. Please first use the convert endpoint").
V2_SEARCH_API_ENDPOINT = "/global/search/image/v2"

#: Alibaba-affiliated image hosts (domain suffixes). `cbu01.alicdn.com`, `img.alicdn.com`,
#: `gw.alicdn.com`, `ae01.alicdn.com` ... all match `alicdn.com`.
ALIBABA_IMAGE_HOSTS: frozenset[str] = frozenset(
    {
        "alicdn.com",  # the CDN of 1688, Taobao, Tmall, AliExpress, Alibaba.com
        "1688.com",
        "alibaba.com",
        "aliexpress.com",
        "aliexpress-media.com",
        "taobao.com",
        "taobaocdn.com",
        "tbcdn.cn",
        "tmall.com",
        "aliimg.com",
    }
)


def is_alibaba_image_host(host: str) -> bool:
    """True when `host` is one of ALIBABA_IMAGE_HOSTS or a subdomain of one."""
    labels = host.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in ALIBABA_IMAGE_HOSTS for i in range(len(labels) - 1))


def needs_conversion(img_url: str, convert: ConvertMode = "auto") -> bool:
    """Whether `search_by_image(img_url, convert=convert)` converts the URL first.

    `convert=True`: always (except a URL that is already a converted `/search/...` path,
    which the conversion endpoint would not accept). `convert=False`: never.
    `convert="auto"`: when the host is not an Alibaba-affiliated image host.
    """
    if convert is False or is_converted_path(img_url):
        return False
    if convert is True:
        return True
    host = urlsplit(img_url).hostname or ""
    return not is_alibaba_image_host(host)
