"""Targets of the contract suite: the session's Prism mock, or the live API (opt-in).

Every case's request goes through a counting `requests.Session`. Against the live API a
guard charges each case its worst cost (1 request + the ignored_auth probes, which
schemathesis sends on its own session) and refuses a case that could pass
TMAPI_LIVE_BUDGET. The configuration (tests/contract/budget.py) already keeps the run
under the budget; the guard is there in case that arithmetic were ever wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.contract.budget import DEFAULT_LIVE_BASE_URL, VENDOR_IMAGE, LivePlan
from tests.contract.live_drift import LiveDrift, write_drift_summary

LIVE_TARGET_ENV = "TMAPI_CONTRACT_TARGET"  # "live": set by `make contract-live` only


class BudgetExhausted(RuntimeError):
    """The live run would send more requests than TMAPI_LIVE_BUDGET allows."""


class CountingSession(requests.Session):
    """A requests session that counts what it sends."""

    def __init__(self, drift: LiveDrift | None = None) -> None:
        super().__init__()
        self.sent = 0
        self.drift = drift  # live: every answer checked for contract drift

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent += 1
        response = super().send(request, **kwargs)
        if self.drift is not None:
            self.drift.record(str(request.url), response.status_code, response.content)
        return response


@dataclass
class ContractTarget:
    name: str  # "mock" | "live"
    base_url: str
    session: CountingSession
    cases: int = 0
    plan: LivePlan | None = None
    operations: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)  # "phase/mode" -> cases
    charged: int = 0  # live: worst-case requests of the cases sent so far
    img_urls: set[str] = field(default_factory=set)  # the images searched
    v2_img_url: str | None = None  # live: the path converted for the v2 cases

    def check(self, case: Any) -> None:
        """One schemathesis case: send it, validate the answer with every enabled check."""
        if self.plan is not None:
            cost = 1 + self.plan.probes_per_case
            if self.charged + cost > self.plan.budget:
                raise BudgetExhausted(
                    f"case refused: it could cost {cost} request(s) and {self.charged} of "
                    f"TMAPI_LIVE_BUDGET={self.plan.budget} are already spent"
                )
            self.charged += cost
        self.cases += 1
        if case.query and "img_url" in case.query:
            self.img_urls.add(str(case.query["img_url"]))
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
    from tests.contract.test_contract import LIVE_PLAN, LIVE_V2_IMG_URL

    if os.environ.get(LIVE_TARGET_ENV) != "live" or not os.environ.get("TMAPI_TOKEN"):
        pytest.skip("live contract: run it with `make contract-live` (needs TMAPI_TOKEN)")
    assert LIVE_PLAN is not None
    base_url = os.environ.get("TMAPI_BASE_URL") or DEFAULT_LIVE_BASE_URL
    session = CountingSession(drift=LiveDrift())
    target = ContractTarget("live", base_url.rstrip("/"), session, plan=LIVE_PLAN)
    target.charged = LIVE_PLAN.setup_requests  # the v2 conversion, already sent
    target.v2_img_url = LIVE_V2_IMG_URL
    _targets.append(target)
    return target


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for target in _targets:
        folder = os.environ.get("TMAPI_LIVE_REPORT_DIR")
        if target.session.drift is not None and folder:
            written = write_drift_summary(
                target.session.drift, Path(folder), os.environ.get("TMAPI_TOKEN")
            )
            terminalreporter.write_line(f"contract-live: drift summary in {written[1]}")
        per_op = ", ".join(f"{label}: {n}" for label, n in target.operations.items())
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(target.kinds.items()))
        line = (
            f"contract ({target.name}, {target.base_url}): {target.cases} cases ran, "
            f"{target.session.sent} case requests sent ({per_op}; {kinds})"
        )
        if target.plan is not None:
            line += (
                f"; worst case with ignored_auth probes: {target.charged} requests; "
                f"budget {target.plan.budget}, configured maximum {target.plan.max_requests}; "
                + (
                    "every search used the vendor's example image"
                    + (" (v2: converted once, for v2)" if target.v2_img_url else "")
                    if target.img_urls <= {VENDOR_IMAGE, target.v2_img_url}
                    else f"images searched: {sorted(target.img_urls)!r}"
                )
            )
        terminalreporter.write_line(line)
