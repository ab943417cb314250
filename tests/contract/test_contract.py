"""Contract tests: openapi.yaml against the Prism mock (always) and the live API (opt-in).

`schemathesis.openapi.from_path` on the contract, `@schema.parametrize()`, and
`case.call_and_validate()` with every check schemathesis.toml enables. The mock run is
part of `make test` (`make contract` alone); the live run is `make contract-live`, whose
configuration (tests/contract/budget.py) cannot send more than TMAPI_LIVE_BUDGET requests.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

from tests.contract.budget import (
    DEFAULT_LIVE_BASE_URL,
    SPEC_PATH,
    LivePlan,
    convert_for_v2,
    explicit_example_counts,
    live_config_dict,
    load_toml,
    plan,
    read_auth_mode,
    read_budget,
    with_auth,
)
from tests.contract.conftest import LIVE_TARGET_ENV, ContractTarget

MOCK_TOKEN = "contract-mock-token"
TOKEN_ENV = "TMAPI_CONTRACT_TOKEN"  # what schemathesis.toml's [auth.openapi.apiToken] reads
LIVE = os.environ.get(LIVE_TARGET_ENV) == "live" and bool(os.environ.get("TMAPI_TOKEN"))


def _config(data: dict[str, Any], token: str) -> SchemathesisConfig:
    """Build the config with `token` substituted for ${TMAPI_CONTRACT_TOKEN}."""
    previous = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = token
    try:
        return SchemathesisConfig.from_dict(data)
    finally:
        if previous is None:
            del os.environ[TOKEN_ENV]
        else:
            os.environ[TOKEN_ENV] = previous


# The mock run sends the token the way TMAPI_AUTH says (default: the apiToken query
# parameter); test_contract_auth.py checks both schemes and the 401 on every operation.
mock_schema = schemathesis.openapi.from_path(
    SPEC_PATH, config=_config(with_auth(load_toml(), read_auth_mode()), MOCK_TOKEN)
)
_OPTIONAL_QUERY = {
    p["name"]
    for item in mock_schema.raw_schema["paths"].values()
    for op in item.values()
    for p in op.get("parameters", [])
    if p.get("in") == "query" and not p.get("required")
}


def _on_the_wire(operation: Any, name: str, value: Any) -> list[str]:
    """The values of query parameter `name` as schemathesis actually sends `value`."""
    kwargs = operation.Case(query={name: value}).as_transport_kwargs(base_url="http://wire")
    url = requests.Request("GET", kwargs["url"], params=kwargs.get("params")).prepare().url
    return parse_qs(urlsplit(str(url)).query, keep_blank_values=True).get(name, [])


def _keep_query(ctx: Any, query: dict[str, Any] | None, *, prism: bool) -> bool:
    """Drop generated queries whose "invalid" optional value is not invalid once sent.

    - both targets: a value that serializes to nothing (None, [], [{}]) drops the
      parameter from the URL, so the request is valid and any server accepts it;
    - the mock only: a value sent as one empty value (`?language=`, `?page_size=`) is
      treated by Prism as if the parameter were absent (200), although the contract
      forbids it (enum / integer; `allowEmptyValue` is false). A Prism limitation; the
      live run keeps such cases (what the real API does with them is worth knowing).
    """
    if not query or ctx.operation is None:
        return True
    for name in _OPTIONAL_QUERY & set(query):
        sent = _on_the_wire(ctx.operation, name, query[name])
        if not sent or (prism and sent == [""]):
            return False
    return True


@mock_schema.hook("filter_query")
def _mock_filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    return _keep_query(ctx, query, prism=True)


@mock_schema.parametrize()
def test_contract_mock(case: Any, mock_target: ContractTarget) -> None:
    mock_target.check(case)


LIVE_PLAN: LivePlan | None = None
LIVE_V2_IMG_URL: str | None = None

if LIVE:
    LIVE_AUTH = read_auth_mode()
    LIVE_PLAN = plan(read_budget(), explicit_example_counts())
    if LIVE_PLAN.setup_requests:  # counted in the plan: the v2 cases need a fresh path
        LIVE_V2_IMG_URL = convert_for_v2(
            os.environ.get("TMAPI_BASE_URL") or DEFAULT_LIVE_BASE_URL,
            os.environ["TMAPI_TOKEN"],
            LIVE_AUTH,
        )
    live_schema = schemathesis.openapi.from_path(
        SPEC_PATH,
        config=_config(
            live_config_dict(LIVE_PLAN, auth_mode=LIVE_AUTH, v2_img_url=LIVE_V2_IMG_URL),
            os.environ["TMAPI_TOKEN"],
        ),
    )

    @live_schema.hook("filter_query")
    def _live_filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
        return _keep_query(ctx, query, prism=False)

    @pytest.mark.live
    @live_schema.parametrize()
    def test_contract_live(case: Any, live_target: ContractTarget) -> None:
        live_target.check(case)

else:

    @pytest.mark.live
    def test_contract_live() -> None:
        if not os.environ.get("TMAPI_TOKEN"):
            pytest.skip(
                "live contract tests: TMAPI_TOKEN is not set; they run only through "
                "`make contract-live` (bounded by TMAPI_LIVE_BUDGET, default 20 requests)"
            )
        pytest.skip(
            "live contract tests: TMAPI_TOKEN is set, but they run only through "
            "`make contract-live`, never in `make test` or CI (every request is billed)"
        )
