"""`make contract-live`: refuses without a token (sending nothing), and its bill is bounded."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
from schemathesis.config import SchemathesisConfig

from mock.prism import REPO_ROOT, PrismServer
from tests.contract.budget import (
    DEFAULT_BUDGET,
    IGNORED_AUTH_PROBES,
    VENDOR_IMAGE,
    BudgetError,
    LivePlan,
    explicit_example_counts,
    live_config_dict,
    plan,
    read_budget,
)
from tmapi_search import spec

COUNTS = explicit_example_counts()
SECRET = "live-SECRET-token-7f3a"


def _make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS", "TMAPI_"))}
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


# -- refusal ---------------------------------------------------------------------------
def test_contract_live_refuses_without_token_and_sends_nothing() -> None:
    # A listening socket stands in for the API and for any proxy: nothing may connect.
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen()
        trap.setblocking(False)
        url = f"http://127.0.0.1:{trap.getsockname()[1]}"
        result = _make(
            "contract-live",
            {"TMAPI_BASE_URL": url, "HTTPS_PROXY": url, "HTTP_PROXY": url, "ALL_PROXY": url},
        )
        with pytest.raises(BlockingIOError):
            trap.accept()  # no connection arrived
    assert result.returncode != 0
    assert "contract-live: TMAPI_TOKEN is not set" in result.stderr
    assert "Nothing was sent" in result.stderr
    assert "pytest" not in result.stdout  # the suite never started


@pytest.mark.parametrize("raw", ["0", "-3", "twenty", "2.5"])
def test_budget_must_be_a_positive_whole_number(raw: str) -> None:
    with pytest.raises(BudgetError, match="TMAPI_LIVE_BUDGET"):
        read_budget({"TMAPI_LIVE_BUDGET": raw})


def test_budget_defaults_to_20() -> None:
    assert read_budget({}) == DEFAULT_BUDGET == 20


# -- arithmetic ------------------------------------------------------------------------
def test_examples_phase_makes_one_case_per_example() -> None:
    assert COUNTS == {
        "GET /1688/global/search/image": 1,
        "GET /1688/global/search/image/v2": 1,
        "POST /1688/tools/image/convert_url": 2,  # the v1 and the v2 conversion examples
    }


@pytest.mark.parametrize("budget", range(1, 101))
def test_plan_never_exceeds_the_budget_and_uses_it(budget: int) -> None:
    try:
        live = plan(budget, COUNTS)
    except BudgetError:
        assert budget < LivePlan(budget, COUNTS, 0, 0, 1).max_requests
        return
    assert live.max_requests <= budget
    # maximal: one more fuzzed case per operation would not fit
    bigger = LivePlan(budget, COUNTS, live.fuzz_examples + 1, live.probes_per_case, 1)
    assert bigger.max_requests > budget
    # the worst case counted by hand: the v2 conversion, every case (4 examples + the
    # fuzzed ones of 3 operations) with its probes, plus one replay
    per_case = 1 + live.probes_per_case
    assert live.setup_requests == 1
    assert live.max_requests == 1 + (4 + 3 * live.fuzz_examples) * per_case + per_case


def test_default_budget_plan() -> None:
    live = plan(20, COUNTS)
    # 1 conversion + 4 examples * 3 (with the ignored_auth probes) + 1 replay * 3 = 16;
    # one fuzzed case per operation more would be 25
    assert (live.fuzz_examples, live.probes_per_case, live.max_requests) == (0, 2, 16)


def test_live_configuration_is_what_the_plan_says() -> None:
    live = plan(40, COUNTS)
    data = live_config_dict(live, v2_img_url="/search/imgextra/fresh.jpg")
    data["auth"]["openapi"]["apiToken"]["api_key"] = "x"
    config = SchemathesisConfig.from_dict(data)  # schemathesis validates it
    import schemathesis

    schema = schemathesis.openapi.from_path(REPO_ROOT / "openapi.yaml", config=config)
    for result in schema.get_all_operations():
        operation = result.ok()
        phases = schema.config.phases_for(operation=operation)
        assert phases.examples.enabled and phases.fuzzing.enabled
        assert not phases.coverage.enabled and not phases.stateful.enabled
        generation = schema.config.generation_for(operation=operation, phase="fuzzing")
        assert generation.max_examples == live.fuzz_examples
        assert generation.no_shrink is True
        assert schema.config.checks_config_for(operation=operation).ignored_auth.enabled
    assert IGNORED_AUTH_PROBES == 2


# -- the real thing, against a local Prism standing in for the API ---------------------
@pytest.mark.parametrize("budget", [20, 8])
def test_live_run_sends_at_most_the_budget(tmp_path: Path, budget: int) -> None:
    """`make contract-live` against Prism, which logs every request it receives."""
    log = tmp_path / "prism.log"
    with PrismServer(log_path=log) as upstream:
        result = _make(
            "contract-live",
            {
                "TMAPI_TOKEN": SECRET,
                "TMAPI_BASE_URL": upstream.base_url,
                "TMAPI_LIVE_BUDGET": str(budget),
                "LIVE_REPORT_DIR": str(tmp_path / "reports"),
            },
        )
        received = log.read_text().count("Request received")
    output = result.stdout + result.stderr
    announced = re.search(r"live contract budget: at most (\d+) requests", result.stdout)
    assert announced, output[-2000:]
    assert result.stdout.index("live contract budget") < result.stdout.index("test session starts")
    assert 0 < received <= int(announced.group(1)) <= budget, output[-2000:]
    assert "case refused" not in output  # the configuration alone kept the run under budget
    assert "every search used the vendor's example image" in output
    if budget >= 9:  # room for ignored_auth: Prism accepts a wrong token -> first failure stops
        assert result.returncode != 0
        assert "API accepts invalid authentication" in output
        assert "stopping after 1 failures" in output
    else:
        assert result.returncode == 0, output[-2000:]
    report = tmp_path / "reports" / "junit.xml"
    assert report.exists()
    for text in (output, report.read_text()):
        assert SECRET not in text  # the token never reaches output or report


def test_live_report_folder_is_git_ignored() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "reports/contract-live/junit.xml"], cwd=REPO_ROOT
    )
    assert result.returncode == 0, "reports/ must stay out of git"


@pytest.mark.parametrize("mode", ["query", "header"])
def test_live_run_sends_the_token_one_way_only(tmp_path: Path, mode: str) -> None:
    """TMAPI_AUTH picks the one scheme the live run authenticates with (a local stand-in)."""
    from tmapi_search.testing.local_server import local_tmapi_server

    with local_tmapi_server() as server:
        result = _make(
            "contract-live",
            {
                "TMAPI_TOKEN": SECRET,
                "TMAPI_AUTH": mode,
                "TMAPI_BASE_URL": server.base_url,
                "TMAPI_LIVE_BUDGET": "8",  # examples only, no ignored_auth probes
                "LIVE_REPORT_DIR": str(tmp_path / "reports"),
            },
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    scheme = "`apikey` request header" if mode == "header" else "`apiToken` query parameter"
    assert f"token sent as the {scheme}" in result.stdout
    # the v2 conversion + 4 example cases (v1, v2, two conversions), all authenticated one way
    assert server.auth_seen == {mode: 5}
    assert server.tokens_seen == {SECRET}
    assert server.search_v2_calls == 1 and server.convert_calls == 3
    converted = spec.response_example(spec.CONVERT_PATH, "post", 200)["data"]["image_url"]
    assert set(server.calls_by_url) == {VENDOR_IMAGE, converted}  # v2 searched the fresh path
    assert SECRET not in output
