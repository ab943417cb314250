"""Contract tests: openapi.yaml against the Prism mock (always) and the live API (opt-in).

`schemathesis.openapi.from_path` on the contract, `@schema.parametrize()`, and
`case.call_and_validate()` with every check schemathesis.toml enables. The mock run is
part of `make test` (`make contract` alone); the live run is `make contract-live`, whose
configuration (tests/contract/budget.py) cannot send more than TMAPI_LIVE_BUDGET requests.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from tests.contract.budget import (
    SPEC_PATH,
    LivePlan,
    explicit_example_counts,
    live_config_dict,
    load_toml,
    plan,
    read_budget,
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


mock_schema = schemathesis.openapi.from_path(SPEC_PATH, config=_config(load_toml(), MOCK_TOKEN))
_OPTIONAL_QUERY = {
    p["name"]
    for item in mock_schema.raw_schema["paths"].values()
    for op in item.values()
    for p in op.get("parameters", [])
    if p.get("in") == "query" and not p.get("required")
}


@mock_schema.hook
def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    """Mock only: no empty value for an optional query parameter (`language=`).

    Prism treats `?language=` as if `language` were absent and answers 200, although the
    contract forbids it (enum; `allowEmptyValue` is false): a Prism limitation, so such
    negative cases would fail `negative_data_rejection` for Prism's sake. The live run
    keeps them (what the real API does with them is worth knowing).
    """
    return not any(query.get(name) == "" for name in _OPTIONAL_QUERY) if query else True


@mock_schema.parametrize()
def test_contract_mock(case: Any, mock_target: ContractTarget) -> None:
    mock_target.check(case)


LIVE_PLAN: LivePlan | None = None

if LIVE:
    LIVE_PLAN = plan(read_budget(), explicit_example_counts())
    live_schema = schemathesis.openapi.from_path(
        SPEC_PATH, config=_config(live_config_dict(LIVE_PLAN), os.environ["TMAPI_TOKEN"])
    )

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
