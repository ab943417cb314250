"""Targets of the contract suite: the session's Prism mock, or the live API (opt-in).

Every request goes through a counting `requests.Session`; against the live API it
refuses to send request number TMAPI_LIVE_BUDGET + 1 (a guard: the configuration in
tests/contract/budget.py already keeps the run under the budget).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.contract.budget import DEFAULT_LIVE_BASE_URL, LivePlan

LIVE_TARGET_ENV = "TMAPI_CONTRACT_TARGET"  # "live": set by `make contract-live` only


class BudgetExhausted(RuntimeError):
    """The live run would send more requests than TMAPI_LIVE_BUDGET allows."""


class CountingSession(requests.Session):
    """A requests session that counts what it sends and enforces an optional cap."""

    def __init__(self, cap: int | None = None) -> None:
        super().__init__()
        self.cap = cap
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.cap is not None and self.sent >= self.cap:
            raise BudgetExhausted(
                f"request {self.sent + 1} refused: TMAPI_LIVE_BUDGET={self.cap} reached"
            )
        self.sent += 1
        return super().send(request, **kwargs)


@dataclass
class ContractTarget:
    name: str  # "mock" | "live"
    base_url: str
    session: CountingSession
    cases: int = 0
    plan: LivePlan | None = None
    operations: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)  # "phase/mode" -> cases

    def check(self, case: Any) -> None:
        """One schemathesis case: send it, validate the answer with every enabled check."""
        self.cases += 1
        self.operations[case.operation.label] = self.operations.get(case.operation.label, 0) + 1
        meta = case.meta
        if meta is not None:
            phase = getattr(meta.phase.name, "value", meta.phase.name)
            kind = f"{phase}/{meta.generation.mode.value}"
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        case.call_and_validate(base_url=self.base_url, session=self.session, timeout=60)


_targets: list[ContractTarget] = []


@pytest.fixture(scope="session")
def mock_target(request: pytest.FixtureRequest) -> ContractTarget:
    base_url = os.environ.get("TMAPI_CONTRACT_BASE_URL") or request.getfixturevalue(
        "prism_base_url"
    )
    target = ContractTarget("mock", base_url.rstrip("/"), CountingSession())
    _targets.append(target)
    return target


@pytest.fixture(scope="session")
def live_target() -> ContractTarget:
    from tests.contract.test_contract import LIVE_PLAN

    if os.environ.get(LIVE_TARGET_ENV) != "live" or not os.environ.get("TMAPI_TOKEN"):
        pytest.skip("live contract: run it with `make contract-live` (needs TMAPI_TOKEN)")
    assert LIVE_PLAN is not None
    base_url = os.environ.get("TMAPI_BASE_URL") or DEFAULT_LIVE_BASE_URL
    target = ContractTarget(
        "live", base_url.rstrip("/"), CountingSession(cap=LIVE_PLAN.budget), plan=LIVE_PLAN
    )
    _targets.append(target)
    return target


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for target in _targets:
        per_op = ", ".join(f"{label}: {n}" for label, n in target.operations.items())
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(target.kinds.items()))
        line = (
            f"contract ({target.name}, {target.base_url}): {target.cases} cases ran, "
            f"{target.session.sent} HTTP requests sent ({per_op}; {kinds})"
        )
        if target.plan is not None:
            line += f"; budget {target.plan.budget}, configured maximum {target.plan.max_requests}"
        terminalreporter.write_line(line)
