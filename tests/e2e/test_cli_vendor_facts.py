"""The vendor as it is, through the real `tmapi-search`: --auth, the observed 401, --api v2."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.cli_support import ALI, TOKEN, run_cli
from tmapi_search import spec
from tmapi_search.testing.local_server import LocalTmapiServer

OTHER = "https://shop.example.com/p/lotus.jpg"


@pytest.mark.parametrize(
    ("args", "env", "mode"),
    [
        ([], {}, "query"),
        (["--auth", "header"], {}, "header"),
        ([], {"TMAPI_AUTH": "header"}, "header"),
        (["--auth", "query"], {"TMAPI_AUTH": "header"}, "query"),  # the option wins
    ],
)
def test_auth_option_and_environment(args: list[str], env: dict[str, str], mode: str) -> None:
    with LocalTmapiServer() as server:
        result = run_cli(
            *args, "search", OTHER, "--format", "json", base_url=server.base_url, **env
        )
        assert result.returncode == 0, result.stderr
        assert server.auth_seen == {mode: 2}  # the conversion and the search
        assert server.tokens_seen == {TOKEN}


def test_observed_401_exits_3_with_the_vendors_words() -> None:
    with LocalTmapiServer(errors_by_url={"e401": 401}) as server:
        result = run_cli("--auth", "header", "search", f"{ALI}?e401", base_url=server.base_url)
        assert server.search_calls == 1  # never retried
    assert result.returncode == 3, result.stderr
    message = spec.error_example(401)["message"]
    assert "AuthenticationError" in result.stderr and message in result.stderr
    assert "--auth query|header; now header" in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_short_token_is_a_usage_error() -> None:
    with LocalTmapiServer() as server:
        result = run_cli("search", ALI, base_url=server.base_url, token="abc1234")
        assert server.search_calls == server.convert_calls == 0
    assert result.returncode == 2 and "--api-token / TMAPI_TOKEN: too short" in result.stderr
    assert "abc1234" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_search_api_v2(fmt: str) -> None:
    with LocalTmapiServer() as server:
        result = run_cli(
            "search", ALI, "--api", "v2", "--page-size", "50", "--price-start", "2",
            "--format", fmt, base_url=server.base_url,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        # even an Alibaba URL is converted first: v2 takes converted paths only
        assert server.convert_calls == 1 and server.search_v2_calls == 1
    expected = spec.response_example(spec.SEARCH_V2_PATH, "get", 200)["data"]["items"]
    if fmt == "json":
        assert json.loads(result.stdout) == expected
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [int(r["item_id"]) for r in rows] == [i["item_id"] for i in expected]
        for column in (
            "currency",
            "moq",
            "price_info.sale_price",
            "shop_info.score_info.composite_score",
            "shop_info.shop_years",
            "shop_info.is_powerful_seller",
            "low_refund_rate",
            "ship_in_48h",
            "one_piece_min_order",
        ):
            assert column in rows[0], column
        assert rows[0]["sale_info.sale_quantity_90days"] == "0"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--api", "v2", "--language", "th"], "--language"),
        (["--api", "v2", "--no-convert"], "--no-convert"),
        (["--api", "v2", "--price-start", "ten"], "--price-start"),
        (["--api", "v2", "--price-start", "9", "--price-end", "2"], "--price-start"),
        (["--price-start", "2"], "--price-start"),
        (["--page-size", "21"], "--page-size"),
        (["--api", "v3"], "--api"),
    ],
)
def test_v2_usage_errors_exit_2(args: list[str], needle: str) -> None:
    with LocalTmapiServer() as server:
        result = run_cli("search", ALI, *args, base_url=server.base_url)
        assert server.search_calls == server.convert_calls == 0
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
