"""The `tmapi_mock` pytest plugin, as a user who installed the package gets it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tmapi_search import spec
from tmapi_search.testing import TmapiMock

BASE = "https://api.tmapi.io"
SEARCH = f"{BASE}{spec.SEARCH_PATH}"
CONVERT = f"{BASE}{spec.CONVERT_PATH}"
VALID = {"img_url": "https://cbu01.alicdn.com/x.jpg", "apiToken": "t"}
REPO_ROOT = Path(__file__).resolve().parents[2]


def get(**params: object) -> httpx.Response:
    query = {k: v for k, v in {**VALID, **params}.items() if v is not None}
    return httpx.get(SEARCH, params=query)


def test_success_by_example_name_and_call_counting(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.success("empty_page").success("vendor_two_items")
    assert get().json() == spec.response_example(name="empty_page")
    assert get(page=2).json() == spec.response_example(name="vendor_two_items")
    assert get().json() == spec.response_example(name="vendor_two_items")  # the last repeats
    assert tmapi_mock.search.call_count == 3 == tmapi_mock.call_count
    assert tmapi_mock.search.params(1)["page"] == "2"
    assert [r.url.path for r in tmapi_mock.requests] == [spec.SEARCH_PATH] * 3


@pytest.mark.parametrize("code", [401, 417, 422, 439, 499, 500, 503])
def test_every_documented_error_as_status_and_in_body(tmapi_mock: TmapiMock, code: int) -> None:
    tmapi_mock.search.error(code).error(code, in_body=True)
    as_status, in_body = get(), get()
    assert (as_status.status_code, in_body.status_code) == (code, 200)
    assert as_status.json() == in_body.json() == spec.error_example(code)


def test_timeout_connect_error_and_malformed_bodies(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search.timeout().connect_error().malformed("html").malformed("empty")
    tmapi_mock.search.malformed("truncated")
    with pytest.raises(httpx.ReadTimeout):
        get()
    with pytest.raises(httpx.ConnectError):
        get()
    html = get()
    assert html.status_code == 502 and html.headers["content-type"] == "text/html"
    assert get().content == b""
    with pytest.raises(json.JSONDecodeError):
        get().json()
    assert tmapi_mock.search.call_count == 5


def test_respond_with_json_only_is_an_http_200(tmapi_mock: TmapiMock) -> None:
    body = tmapi_mock.search.example("empty_page")
    tmapi_mock.search.respond(json=body).respond(418, content=b"teapot")
    first, second, third = get(), get(), get()
    assert (first.status_code, first.json()) == (200, body)
    assert (second.status_code, second.content) == (418, b"teapot")
    assert third.status_code == 418  # the last outcome repeats


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"apiToken": None}, 401),
        ({"apiToken": ""}, 401),
        ({"page_size": 21}, 422),
        ({"page": 0}, 422),
        ({"page": "abc"}, 422),
        ({"language": "xx"}, 422),
        ({"is_factory": "yes"}, 422),
        ({"img_url": None}, 422),
        ({"page_size": 20, "language": "ko", "is_factory": "true", "sort": "sales"}, 200),
    ],
)
def test_requests_are_checked_against_the_contract_first(
    tmapi_mock: TmapiMock, params: dict[str, object], status: int
) -> None:
    tmapi_mock.search.error(503)
    response = get(**params)
    assert response.status_code == (503 if status == 200 else status)
    if status != 200:
        assert response.json() == spec.error_example(status)
        assert get().status_code == 503  # the rejected request did not use up the queue
    assert tmapi_mock.search.call_count >= 1


def test_convert_body_is_checked(tmapi_mock: TmapiMock) -> None:
    ok = httpx.post(CONVERT, params={"apiToken": "t"}, json={"url": "https://a.example/b.jpg"})
    assert ok.status_code == 200
    for bad in ({}, {"url": ""}, {"url": "x", "search_api_endpoint": "/nope"}):
        response = httpx.post(CONVERT, params={"apiToken": "t"}, json=bad)
        assert response.status_code == 422, bad
    assert httpx.post(CONVERT, params={"apiToken": "t"}, content=b"{not json").status_code == 422


def test_contract_check_can_be_turned_off(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.validate_requests = False
    assert get(page_size=500, apiToken=None).status_code == 200


def test_registered_for_users_through_the_pytest11_entry_point(tmp_path: Path) -> None:
    """A user's project (no conftest, no import of ours) gets the fixture from the install."""
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import httpx

            def test_uses_the_plugin(tmapi_mock):
                tmapi_mock.search.error(439)
                r = httpx.get("https://api.tmapi.io/1688/global/search/image",
                              params={"img_url": "x", "apiToken": "t"})
                assert r.status_code == 439 and r.json()["code"] == 439
                assert tmapi_mock.search.call_count == 1
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


# The built wheel (openapi.yaml as a real file, the pytest11 entry point) and its
# installs: tests/packaging/test_wheel.py.
