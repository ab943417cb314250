"""The 401 is reachable, and both security schemes hold, through schemathesis against Prism.

The main suite (test_contract.py) authenticates every case (`[auth.openapi.apiToken]`
in schemathesis.toml). Here, for each operation of the contract (v1, v2, convert),
the case built from the operation's own examples is sent three ways: without any
token (the answer must be the documented 401, the body the vendor was observed to
send, valid against `ErrorResponse`), with the `apiToken` query parameter, and with
the `apikey` header (both must be accepted, and the answers valid).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract.budget import SPEC_PATH

TOKEN = "contract-mock-token"
OBSERVED_401 = json.loads(
    (Path(__file__).parent / "vendor/observed-401-no-api-key.json").read_text(encoding="utf-8")
)
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]

# No [auth] section: the token (or its absence) is what each test sends.
schema = schemathesis.openapi.from_path(
    SPEC_PATH, config=SchemathesisConfig.from_dict({"generation": {"database": "none"}})
)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def _example_case(operation: Any) -> Any:
    """The case schemathesis's `examples` phase builds first for this operation."""
    strategy = operation.get_strategies_from_examples()[0]
    with warnings.catch_warnings():  # .example() outside @given is what we want here
        warnings.simplefilter("ignore")
        return strategy.example()


def test_every_operation_is_covered() -> None:
    assert {op.label for op in OPERATIONS} == {
        "GET /1688/global/search/image",
        "GET /1688/global/search/image/v2",
        "POST /1688/tools/image/convert_url",
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
@pytest.mark.parametrize("auth", ["none", "query", "header"])
def test_auth_schemes_and_401(operation: Any, auth: str, prism_base_url: str) -> None:
    case = _example_case(operation)
    # schemathesis fills security parameters it has no auth for with generated values: clear
    case.query = {k: v for k, v in (case.query or {}).items() if k != "apiToken"}
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "apikey"}
    if auth == "query":
        case.query = {**(case.query or {}), "apiToken": TOKEN}
    elif auth == "header":
        case.headers = {**(case.headers or {}), "apikey": TOKEN}
    response = case.call(base_url=prism_base_url, session=requests.Session())
    case.validate_response(response, checks=CHECKS)
    if auth == "none":
        assert response.status_code == 401
        assert response.json() == OBSERVED_401
    else:
        assert response.status_code == 200, response.text
