"""The Prism mock of openapi.yaml, started by the pytest session, behaves as documented.

Every expected body comes from the contract's examples (tmapi_search.spec), never
re-typed here.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from mock.prism import PrismServer
from tmapi_search import spec

TOKEN = "demo-token"
ERROR_CODES = [417, 422, 439, 499, 500, 503]
VENDOR_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
VALID_SEARCH = {"img_url": VENDOR_IMAGE, "apiToken": TOKEN}
CONVERT_BODY = {"url": "https://example.com/images/phone-case.jpg"}


def search(
    base_url: str, headers: dict[str, str] | None = None, **params: object
) -> httpx.Response:
    query = {**VALID_SEARCH, **params}
    query = {k: v for k, v in query.items() if v is not None}
    return httpx.get(f"{base_url}{spec.SEARCH_PATH}", params=query, headers=headers)


def test_valid_search_returns_the_vendor_example(prism_base_url: str) -> None:
    response = search(prism_base_url)
    assert response.status_code == 200
    assert response.json() == spec.response_example(name="vendor_two_items")


@pytest.mark.parametrize("name", list(spec.response_examples(spec.SEARCH_PATH, "get", 200)))
def test_named_example_selected_with_prefer(prism_base_url: str, name: str) -> None:
    response = search(prism_base_url, headers={"Prefer": f"example={name}"})
    assert response.status_code == 200
    assert response.json() == spec.response_example(name=name)


@pytest.mark.parametrize("code", ERROR_CODES)
@pytest.mark.parametrize("path", [spec.SEARCH_PATH, spec.SEARCH_V2_PATH, spec.CONVERT_PATH])
def test_prefer_code_returns_the_documented_error(
    prism_base_url: str, path: str, code: int
) -> None:
    headers = {"Prefer": f"code={code}"}
    if path == spec.SEARCH_PATH:
        response = search(prism_base_url, headers=headers)
    elif path == spec.SEARCH_V2_PATH:
        response = httpx.get(
            f"{prism_base_url}{path}",
            params={"img_url": "/search/imgextra/a.jpg"},
            headers={**headers, "apikey": TOKEN},
        )
    else:
        response = httpx.post(
            f"{prism_base_url}{path}",
            params={"apiToken": TOKEN},
            json=CONVERT_BODY,
            headers=headers,
        )
    assert response.status_code == code
    method = "post" if path == spec.CONVERT_PATH else "get"
    assert response.json() == spec.error_example(code, path, method)
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("param", "value"),
    [("page_size", 21), ("page", 0), ("language", "xx"), ("page", "abc"), ("img_url", "")],
)
def test_invalid_parameters_get_the_apis_own_422(
    prism_base_url: str, param: str, value: object
) -> None:
    response = search(prism_base_url, **{param: value})
    assert response.status_code == 422
    body = response.json()
    assert body == spec.error_example(422)  # {"code": 422, "msg": ...}, not problem+json
    assert "type" not in body and "title" not in body
    assert not response.headers["content-type"].startswith("application/problem+json")
    # Prism says which parameter broke the contract, in its own header (not in the body)
    assert param in response.headers.get("sl-violations", "")


def test_invalid_convert_body_gets_the_apis_own_422(prism_base_url: str) -> None:
    response = httpx.post(
        f"{prism_base_url}{spec.CONVERT_PATH}",
        params={"apiToken": TOKEN},
        json={"url": "https://example.com/a.jpg", "search_api_endpoint": "/nope"},
    )
    assert response.status_code == 422
    assert response.json() == spec.error_example(422, spec.CONVERT_PATH, "post")


OBSERVED_401 = json.loads(
    (Path(__file__).parents[1] / "contract/vendor/observed-401-no-api-key.json").read_text()
)


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_gets_what_the_spec_documents(prism_base_url: str, token: str | None) -> None:
    """The spec documents the 401 observed live (components.responses.Unauthorized)."""
    response = search(prism_base_url, apiToken=token)
    assert response.status_code == 401
    assert response.json() == spec.error_example(401) == OBSERVED_401


def _call(
    base_url: str, path: str, params: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    if path == spec.CONVERT_PATH:
        return httpx.post(f"{base_url}{path}", params=params, json=CONVERT_BODY, headers=headers)
    return httpx.get(
        f"{base_url}{path}", params={"img_url": VENDOR_IMAGE, **params}, headers=headers
    )


PATHS = [spec.SEARCH_PATH, spec.SEARCH_V2_PATH, spec.CONVERT_PATH]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"apiToken": TOKEN}, {}, 200),
        ({}, {"apikey": TOKEN}, 200),
        ({}, {}, 401),
        ({"apiToken": ""}, {}, 401),
        ({}, {"apikey": ""}, 401),
        ({}, {"apiToken": TOKEN}, 401),  # the query parameter's name as a header: not a scheme
    ],
    ids=["query", "header", "none", "empty-query", "empty-header", "wrong-place"],
)
def test_either_security_scheme_is_accepted(
    prism_errors_server: PrismServer,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    """Every operation accepts `?apiToken=` or an `apikey` header; neither gets the 401 observed."""
    response = _call(prism_errors_server.base_url, path, params, headers)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.json() == OBSERVED_401
    else:
        method = "post" if path == spec.CONVERT_PATH else "get"
        assert response.json() == spec.response_example(path, method, 200)


def test_v2_serves_the_vendors_v2_example(prism_errors_server: PrismServer) -> None:
    vendor = json.loads(
        (
            Path(__file__).parents[1]
            / "contract/vendor/vendor-doc-global-search-image-v2.example-200.json"
        ).read_text(encoding="utf-8")
    )
    response = httpx.get(
        f"{prism_errors_server.base_url}{spec.SEARCH_V2_PATH}",
        params={"img_url": "/search/imgextra/a.jpg", "page_size": 50, "price_start": "2"},
        headers={"apikey": TOKEN},
    )
    assert "sl-violations" not in response.headers, response.headers["sl-violations"]
    assert response.status_code == 200
    assert response.json() == vendor


@pytest.mark.parametrize(("param", "value"), [("language", "th"), ("page_size", 0), ("sort", "x")])
def test_v2_rejects_what_its_page_does_not_allow(
    prism_base_url: str, param: str, value: object
) -> None:
    response = httpx.get(
        f"{prism_base_url}{spec.SEARCH_V2_PATH}",
        params={"img_url": "/search/imgextra/a.jpg", param: value},
        headers={"apikey": TOKEN},
    )
    assert response.status_code == 422
    assert response.json() == spec.error_example(422, spec.SEARCH_V2_PATH)


def test_missing_token_wins_over_bad_parameters(prism_base_url: str) -> None:
    response = search(prism_base_url, apiToken=None, page_size=21)
    assert response.status_code == 401


def test_convert_returns_its_documented_example(prism_base_url: str) -> None:
    response = httpx.post(
        f"{prism_base_url}{spec.CONVERT_PATH}", params={"apiToken": TOKEN}, json=CONVERT_BODY
    )
    assert response.status_code == 200
    assert response.json() == spec.response_example(spec.CONVERT_PATH, "post", 200)


@pytest.mark.parametrize(
    ("path", "method", "status", "name"),
    spec.named_response_examples(),
    ids=lambda v: str(v).strip("/").replace("/", "."),
)
def test_every_named_example_agrees_with_its_schema(
    prism_errors_server: PrismServer, path: str, method: str, status: int, name: str
) -> None:
    """Prism with --errors validates each response it serves: no violation for any example."""
    headers = {"Prefer": f"code={status}, example={name}"}
    url = f"{prism_errors_server.base_url}{path}"
    if method == "get":
        response = httpx.get(url, params=VALID_SEARCH, headers=headers)
    else:
        response = httpx.post(url, params={"apiToken": TOKEN}, json=CONVERT_BODY, headers=headers)
    assert "sl-violations" not in response.headers, response.headers["sl-violations"]
    assert response.status_code == status, response.text
    assert response.json() == spec.response_example(path, method, status, name)


def test_errors_mode_does_report_a_broken_example(tmp_path: Path) -> None:
    """The check above can fail: an example that breaks its schema is reported by Prism."""
    document = spec.load_spec()
    example = document["paths"][spec.SEARCH_PATH]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["examples"]["vendor_two_items"]["value"]
    example["data"]["items"][0]["item_id"] = "not-an-integer"
    broken = tmp_path / "broken-example.yaml"
    broken.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    with PrismServer(spec=broken, errors=True) as server:
        response = search(server.base_url)
    assert response.status_code == 500
    violations = json.loads(response.headers.get("sl-violations", "[]")) or response.json()
    assert "item_id" in json.dumps(violations)
