"""The installed `tmapi-search` run as a subprocess: against Prism (the session's mock of
openapi.yaml) for answers, against the local TMAPI stand-in for the documented errors.

Each run's stdout and stderr are checked for the token: it must appear nowhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli_support import ALI, TOKEN, run_cli, start_cli
from tmapi_search import spec
from tmapi_search.testing.local_server import LocalTmapiServer


def vendor_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = spec.response_example(name="vendor_two_items")["data"]["items"]
    return items


def check(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_search_table(prism_base_url: str) -> None:
    result = run_cli("search", ALI, base_url=prism_base_url)
    check(result, 0)
    assert "page 1: 2 items of 666" in result.stdout
    for item in vendor_items():
        assert item["product_url"] in result.stdout
        assert item["price"] in result.stdout
        assert item["shop_info"]["company_name"] in result.stdout
    for header in ("title", "price", "MOQ", "sold 30d/all", "shop", "location", "factory"):
        assert header in result.stdout
    assert result.stderr == ""


def test_search_json_carries_every_field(prism_base_url: str) -> None:
    result = run_cli("search", ALI, "--format", "json", base_url=prism_base_url)
    check(result, 0)
    assert json.loads(result.stdout) == vendor_items()


def test_search_jsonl(prism_base_url: str) -> None:
    result = run_cli("search", ALI, "--format", "jsonl", base_url=prism_base_url)
    check(result, 0)
    assert [json.loads(line) for line in result.stdout.splitlines()] == vendor_items()


def test_search_csv(prism_base_url: str) -> None:
    result = run_cli("search", ALI, "--format", "csv", base_url=prism_base_url)
    check(result, 0)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["item_id"] for row in rows] == [str(i["item_id"]) for i in vendor_items()]
    assert rows[0]["shop_info.biz_type"] == vendor_items()[0]["shop_info"]["biz_type"]


def test_search_max_items_pages_through(prism_base_url: str) -> None:
    # Prism answers every page with the 2-item example (total 666): the second page
    # repeats the first, so paging stops there with the 2 distinct offers
    result = run_cli(
        "search",
        ALI,
        "--max-items",
        "3",
        "--format",
        "jsonl",
        "--language",
        "ru",
        "--sort",
        "sales",
        "--is-factory",
        base_url=prism_base_url,
    )
    check(result, 0)
    ids = [json.loads(line)["item_id"] for line in result.stdout.splitlines()]
    assert ids == [i["item_id"] for i in vendor_items()]


def test_convert_prints_the_converted_path(prism_base_url: str) -> None:
    result = run_cli("convert", "https://shop.example.com/p/1.jpg", base_url=prism_base_url)
    check(result, 0)
    expected = spec.response_example(spec.CONVERT_PATH, "post")["data"]["image_url"]
    assert result.stdout.strip() == expected


def test_search_converts_a_non_alibaba_image_first(prism_base_url: str) -> None:
    result = run_cli(
        "search",
        "https://shop.example.com/p/1.jpg",
        "--format",
        "json",
        base_url=prism_base_url,
    )
    check(result, 0)
    assert len(json.loads(result.stdout)) == 2


# -- usage errors: exit 2, before any request ------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["search", ALI, "--page-size", "21"], "--page-size"),
        (["search", ALI, "--language", "xx"], "--language"),
        (["search", ALI, "--format", "xml"], "--format"),
        (["search", "not a url"], "img_url"),
        (["search", ALI, "--bogus"], "--bogus"),
        (["bulk", "nope.csv", "--db", "x.sqlite"], "INPUT"),
        (["bulk", "x.csv", "--db", "x.sqlite", "--concurrency", "lots"], "--concurrency"),
        (["export", "--db", "missing.sqlite"], "--db"),
        (["export", "--db", "catalogue.csv"], "--db"),
    ],
)
def test_usage_errors_exit_2_naming_the_parameter(
    args: list[str], needle: str, tmp_path: Any
) -> None:
    (tmp_path / "catalogue.csv").write_text("img_url\nhttps://example.com/a.jpg\n")
    with LocalTmapiServer() as server:
        result = run_cli(*args, base_url=server.base_url, cwd=tmp_path)
        assert server.search_calls == server.convert_calls == 0  # nothing sent, nothing paid
    check(result, 2)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_no_token_is_a_usage_error(prism_base_url: str) -> None:
    result = run_cli("search", ALI, base_url=prism_base_url, token=None)
    check(result, 2)
    assert "TMAPI_TOKEN" in result.stderr


# -- API errors through a real local server: exit 3, 4, 5 --------------------------------
@pytest.fixture
def erring_server() -> Iterator[LocalTmapiServer]:
    codes = {"e439": 439, "e422": 422, "e500": 500, "e417": 417, "e503": 503, "e401": 401}
    with LocalTmapiServer(errors_by_url=codes) as server:
        yield server


@pytest.mark.parametrize(
    ("marker", "code", "needle"),
    [
        ("e439", 3, "SubscriptionError"),
        ("e401", 3, "api-token"),
        ("e422", 4, "ParameterError"),
        ("e500", 4, "ServerError"),
        ("e417", 4, "DataRetrievalError"),
        ("e503", 4, "ConcurrencyLimitError"),
    ],
)
def test_api_errors_map_to_documented_exit_codes(
    erring_server: LocalTmapiServer, marker: str, code: int, needle: str
) -> None:
    result = run_cli(
        "--max-retries", "1", "search", f"{ALI}?{marker}", base_url=erring_server.base_url
    )
    check(result, code)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0]
    if code == 3 and marker == "e439":
        assert "top up" in lines[0]
    retried = marker in ("e500", "e417", "e503")
    assert erring_server.calls_by_url[f"{ALI}?{marker}"] == (2 if retried else 1)


def test_verbose_shows_the_traceback_and_logs_but_never_the_token(
    erring_server: LocalTmapiServer,
) -> None:
    result = run_cli(
        "-v", "--max-retries", "1", "search", f"{ALI}?e500", base_url=erring_server.base_url
    )
    check(result, 4)
    assert "Traceback" in result.stderr
    assert "retrying search_by_image" in result.stderr
    assert "apiToken=***" in result.stderr  # httpx's request line, redacted


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_exits_5() -> None:
    result = run_cli(
        "--max-retries", "0", "search", ALI, base_url=f"http://127.0.0.1:{_closed_port()}"
    )
    check(result, 5)
    assert "APIConnectionError" in result.stderr


def test_timeout_after_retries_exits_5() -> None:
    with LocalTmapiServer(latency=3.0) as server:
        result = run_cli(
            "--timeout", "0.3", "--max-retries", "0", "search", ALI, base_url=server.base_url
        )
    check(result, 5)
    assert "APITimeoutError" in result.stderr


def test_ctrl_c_exits_130() -> None:
    with LocalTmapiServer(latency=5.0) as server:
        process = start_cli("search", ALI, base_url=server.base_url)
        deadline = time.monotonic() + 20
        while server.search_calls == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 130, out + err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert TOKEN not in out + err


def test_help_documents_the_exit_codes() -> None:
    result = run_cli("--help")
    check(result, 0)
    for text in ("0 ok", "2 usage", "3 billing", "4 other API error", "5 network", "130"):
        assert text in result.stdout.replace("\n", " ").replace("  ", " ")


def test_version_is_the_installed_package_s() -> None:
    from importlib.metadata import version

    result = run_cli("--version")
    check(result, 0)
    assert result.stdout.strip() == f"tmapi-search {version('tmapi-search')}"


def test_the_docs_list_the_same_exit_codes() -> None:
    from pathlib import Path

    from tmapi_search.cli import EXIT_CODES

    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = page[page.index("## Exit codes") :]
    documented = [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)]
    assert documented == sorted(EXIT_CODES)
