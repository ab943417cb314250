"""The bounded bill of `make contract-live`: how schemathesis.toml is narrowed for the live API.

Every request to the live API is billed. The live run loads the same schemathesis.toml
as the mock run and narrows it so that the configuration itself cannot send more than
TMAPI_LIVE_BUDGET requests (default 20):

- phases: `examples` (the spec's own examples: the vendor's image) and `fuzzing` only;
  no `coverage` phase (hundreds of boundary cases) and no `stateful` phase;
- fuzzing: `max-examples` computed below, no shrinking (shrinking re-sends requests),
  no example database (it would replay old failures), the vendor's image as `img_url`;
- stop at the first failure (pytest --maxfail=1; without shrinking Hypothesis stops
  generating at its first failing example, then replays it once to report it);
- `ignored_auth` is on for the live API; its probes (one request without the token,
  one with a wrong token, after a 2xx answer) are counted as requests too;
- the token goes the way TMAPI_AUTH says: `query` (default: `?apiToken=`, the
  `apiToken` scheme) or `header` (an `apikey` header, the `apikey` scheme). Only that
  scheme is configured, so schemathesis sends the token that one way only;
- the v2 search takes converted paths only (and they age): before the suite, ONE
  conversion of the vendor's image for v2 (`search_api_endpoint:
  /global/search/image/v2`) gives the `img_url` of every v2 case. That request is
  counted (`setup_requests`).

The arithmetic, per operation `op` with `E(op)` explicit examples and `F` fuzzed cases,
each case costing `1 + P` requests (`P` = ignored_auth probes):

    max_requests = S                                        # setup: the v2 conversion
                 + sum over ops of (E(op) + F) * (1 + P)   # every case of every operation
                 + (1 + P)                                  # the one replay of a failure

`F` is the largest value that keeps `max_requests <= budget`. When even `F = 0` does not
fit, `ignored_auth` is dropped (`P = 0`); when that does not fit either, the run refuses
to start. A request counter in the tests stops the run before request `budget + 1` in any
case (tests/contract/conftest.py), but the configuration alone already keeps under it.

`python -m tests.contract.budget` prints the plan (make contract-live does, before it starts).
"""

from __future__ import annotations

import copy
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO_ROOT / "schemathesis.toml"
SPEC_PATH = REPO_ROOT / "openapi.yaml"
DEFAULT_BUDGET = 20
DEFAULT_LIVE_BASE_URL = "https://api.tmapi.io"
# The vendor's own example image (Alibaba-hosted, as the search requires).
VENDOR_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
IGNORED_AUTH_PROBES = 2  # one request without the token, one with a wrong token
FAILURE_REPLAYS = 1  # Hypothesis re-runs the first failing example once to report it
V2_OPERATION_ID = "search_items_by_image_v2"
V2_LABEL = "GET /1688/global/search/image/v2"
#: TMAPI_AUTH -> the security scheme of openapi.yaml that carries the token.
AUTH_SCHEMES = {"query": "apiToken", "header": "apikey"}


class BudgetError(ValueError):
    """TMAPI_LIVE_BUDGET is not a usable number of requests."""


@dataclass(frozen=True)
class LivePlan:
    budget: int
    explicit_examples: dict[str, int]  # operation label -> examples from the spec
    fuzz_examples: int  # per operation (0: the fuzzing phase is off)
    probes_per_case: int  # 0 when ignored_auth had to be dropped to fit the budget
    setup_requests: int = 0  # sent before the suite (the v2 conversion)

    @property
    def cases(self) -> int:
        return sum(e + self.fuzz_examples for e in self.explicit_examples.values())

    @property
    def max_requests(self) -> int:
        per_case = 1 + self.probes_per_case
        return self.setup_requests + self.cases * per_case + FAILURE_REPLAYS * per_case

    def describe(self) -> str:
        ops = ", ".join(f"{label}: {n} example(s)" for label, n in self.explicit_examples.items())
        fuzz = (
            f"{self.fuzz_examples} fuzzed case(s) per operation"
            if self.fuzz_examples
            else ("fuzzing off")
        )
        auth = (
            f"ignored_auth on ({self.probes_per_case} probe requests per case)"
            if self.probes_per_case
            else "ignored_auth off (no room for its probes)"
        )
        setup = (
            f"{self.setup_requests} conversion for the v2 cases first; "
            if self.setup_requests
            else ""
        )
        return (
            f"live contract budget: at most {self.max_requests} requests "
            f"(TMAPI_LIVE_BUDGET={self.budget}); {setup}phases: examples + fuzzing, no "
            f"coverage, no stateful; {ops}; {fuzz}; {auth}; no shrinking; stop at the first "
            "failure"
        )


def read_budget(environ: dict[str, str] | None = None) -> int:
    raw = (environ if environ is not None else os.environ).get("TMAPI_LIVE_BUDGET", "")
    if not raw.strip():
        return DEFAULT_BUDGET
    try:
        budget = int(raw)
    except ValueError:
        raise BudgetError(
            f"TMAPI_LIVE_BUDGET: must be a whole number of requests, got {raw!r}"
        ) from None
    if budget < 1:
        raise BudgetError(f"TMAPI_LIVE_BUDGET: must be at least 1, got {budget}")
    return budget


def read_auth_mode(environ: dict[str, str] | None = None) -> str:
    """TMAPI_AUTH: "query" (default) or "header"."""
    raw = (environ if environ is not None else os.environ).get("TMAPI_AUTH", "")
    mode = raw.strip().lower() or "query"
    if mode not in AUTH_SCHEMES:
        raise BudgetError(f"TMAPI_AUTH: must be one of query, header, got {raw!r}")
    return mode


def with_auth(data: dict[str, Any], mode: str) -> dict[str, Any]:
    """schemathesis.toml's auth section moved to the scheme of `mode` (only that one)."""
    data = copy.deepcopy(data)
    schemes = data.setdefault("auth", {}).setdefault("openapi", {})
    settings = next(iter(schemes.values()), {})
    data["auth"]["openapi"] = {AUTH_SCHEMES[mode]: settings}
    return data


def setup_requests_for(explicit_examples: dict[str, int]) -> int:
    return 1 if V2_LABEL in explicit_examples else 0


def plan(budget: int, explicit_examples: dict[str, int]) -> LivePlan:
    """The largest run that fits `budget` (see the module docstring for the arithmetic)."""
    setup = setup_requests_for(explicit_examples)
    for probes in (IGNORED_AUTH_PROBES, 0):
        for fuzz in range(budget, -1, -1):
            candidate = LivePlan(budget, dict(explicit_examples), fuzz, probes, setup)
            if candidate.max_requests <= budget:
                return candidate
    needed = LivePlan(budget, dict(explicit_examples), 0, 0, setup).max_requests
    raise BudgetError(
        f"TMAPI_LIVE_BUDGET={budget} is too small: one request per documented example "
        f"plus the v2 conversion and one replay needs {needed}"
    )


def load_toml() -> dict[str, Any]:
    with CONFIG_PATH.open("rb") as fh:
        return tomllib.load(fh)


def live_config_dict(
    live: LivePlan,
    base: dict[str, Any] | None = None,
    *,
    auth_mode: str = "query",
    v2_img_url: str | None = None,
) -> dict[str, Any]:
    """schemathesis.toml, narrowed to `live` (validated by schemathesis when loaded).

    `v2_img_url`: the freshly converted path every v2 case searches with.
    """
    data = with_auth(base if base is not None else load_toml(), auth_mode)
    phases = data.setdefault("phases", {})
    phases.setdefault("examples", {})["enabled"] = True
    phases.setdefault("fuzzing", {})["enabled"] = live.fuzz_examples > 0
    phases.setdefault("coverage", {})["enabled"] = False
    phases.setdefault("stateful", {})["enabled"] = False
    generation = data.setdefault("generation", {})
    generation["max-examples"] = max(live.fuzz_examples, 1)
    generation["no-shrink"] = True
    generation["database"] = "none"
    data.setdefault("checks", {}).setdefault("ignored_auth", {})["enabled"] = (
        live.probes_per_case > 0
    )
    data["parameters"] = {**data.get("parameters", {}), "query.img_url": VENDOR_IMAGE}
    data["request-timeout"] = 60.0  # the vendor advises a 60 s timeout
    data["max-failures"] = 1
    for operation in data.get("operations", []):  # nothing per operation may widen the run
        for key in ("phases",):
            operation.pop(key, None)
        operation.get("generation", {}).pop("max-examples", None)
    if v2_img_url is not None:
        data.setdefault("operations", []).append(
            {
                "include-operation-id": V2_OPERATION_ID,
                "parameters": {"query.img_url": v2_img_url},
            }
        )
    return data


def convert_for_v2(base_url: str, token: str, auth_mode: str) -> str:
    """ONE billed conversion of the vendor's image for the v2 search (its cases need a path)."""
    from tmapi_search import TmapiClient

    with TmapiClient(token, base_url=base_url, auth=auth_mode, max_retries=0) as client:  # type: ignore[arg-type]
        return client.convert_image_url(VENDOR_IMAGE, search_api_endpoint="/global/search/image/v2")


def explicit_example_counts(config: Any = None) -> dict[str, int]:
    """How many cases schemathesis's `examples` phase makes per operation, from the spec."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = config or SchemathesisConfig.from_dict(_with_dummy_token(load_toml()))
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)
    counts: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        counts[operation.label] = max(1, len(list(operation.get_strategies_from_examples())))
    return counts


def _with_dummy_token(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for scheme in data.get("auth", {}).get("openapi", {}).values():
        if "api_key" in scheme:
            scheme["api_key"] = "budget-planning"
    return data


def live_plan(environ: dict[str, str] | None = None) -> LivePlan:
    return plan(read_budget(environ), explicit_example_counts())


def describe_auth(mode: str) -> str:
    if mode == "header":
        return "token sent as the `apikey` request header (TMAPI_AUTH=header), in no URL"
    return "token sent as the `apiToken` query parameter (TMAPI_AUTH=query, the default)"


def main() -> int:
    try:
        live = live_plan()
        mode = read_auth_mode()
    except BudgetError as exc:
        print(f"contract-live: {exc}", file=sys.stderr)
        return 2
    base_url = os.environ.get("TMAPI_BASE_URL") or DEFAULT_LIVE_BASE_URL
    print(f"{live.describe()}; {describe_auth(mode)}; target {base_url}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
