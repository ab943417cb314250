"""Search 1688 products by image with the generated client, and print what was found.

    make mock                                             # terminal 1: Prism on :4010
    TMAPI_BASE_URL=http://127.0.0.1:4010 TMAPI_TOKEN=demo-token \
        .venv/bin/python examples/search_by_image.py [IMAGE_URL]   # terminal 2

Against a mock it costs nothing (any token value is accepted). Against the real API,
set TMAPI_TOKEN to your token and leave TMAPI_BASE_URL unset: every call is billed.
`tests/unit/test_examples.py` runs it (against the local TMAPI stand-in,
`tmapi_search.testing.local_server`) in `make test`; `make demo` runs `cli_demo.sh`.
"""

from __future__ import annotations

import os
import sys

from tmapi_client import Client
from tmapi_client.api.search import search_items_by_image
from tmapi_client.models import ErrorResponse, Language, SearchResponse
from tmapi_client.types import Unset

from tmapi_search.auth import ApiTokenAuth, install_log_redaction

# The vendor's own example image (an Alibaba-hosted image: no conversion needed).
VENDOR_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def main(argv: list[str]) -> int:
    base_url = os.environ.get("TMAPI_BASE_URL", "https://api.tmapi.io")
    token = os.environ.get("TMAPI_TOKEN")
    if not token:
        print(
            "TMAPI_TOKEN is not set (against a mock, any value will do: TMAPI_TOKEN=demo-token)",
            file=sys.stderr,
        )
        return 2
    image = argv[1] if len(argv) > 1 else VENDOR_IMAGE
    install_log_redaction()

    with Client(base_url=base_url, httpx_args={"auth": ApiTokenAuth(token)}) as client:
        response = search_items_by_image.sync_detailed(
            client=client, img_url=image, page=1, page_size=20, language=Language.EN
        )

    parsed = response.parsed
    if isinstance(parsed, ErrorResponse) or not isinstance(parsed, SearchResponse):
        code = parsed.code if isinstance(parsed, ErrorResponse) else response.status_code
        message = parsed.msg if isinstance(parsed, ErrorResponse) else response.content[:200]
        print(f"error {code}: {message!s}", file=sys.stderr)
        return 1
    if parsed.code != 200:  # an error code inside an HTTP 200 body is the same error
        print(f"error {parsed.code}: {parsed.msg}", file=sys.stderr)
        return 1

    data = parsed.data
    print(f"{base_url}: page {data.page}, {len(data.items)} items of {data.total_count} found")
    for item in data.items:
        price = "" if isinstance(item.price, Unset) else f"CNY {item.price}"
        title = "" if isinstance(item.title, Unset) else item.title
        url = "" if isinstance(item.product_url, Unset) else item.product_url
        print(f"- {item.item_id}  {price:>10}  {title}\n  {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
