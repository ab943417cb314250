"""The contract suite can fail: a mock whose answer breaks the schema is caught."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from mock.prism import REPO_ROOT, PrismServer
from tmapi_search import spec


def _drifted_spec(tmp_path: Path) -> Path:
    """A copy of openapi.yaml whose vendor example no longer matches its own schema."""
    document = spec.load_spec()
    examples = document["paths"][spec.SEARCH_PATH]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["examples"]
    examples["vendor_two_items"]["value"]["data"]["items"][0]["item_id"] = "not-an-integer"
    path = tmp_path / "drifted-openapi.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


def test_contract_suite_fails_against_a_broken_mock(tmp_path: Path) -> None:
    # Prism (without --errors) serves the drifted example as is; the suite validates
    # against the real openapi.yaml.
    with PrismServer(spec=_drifted_spec(tmp_path)) as broken:
        env = {**os.environ, "TMAPI_CONTRACT_BASE_URL": broken.base_url}
        env.pop("TMAPI_CONTRACT_TARGET", None)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/contract/test_contract.py", "-m", "not live",
             "-x", "-p", "no:cacheprovider", "-q"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Response violates schema" in output, output[-3000:]
    assert "item_id" in output and "not-an-integer" in output
    assert "FAILED tests/contract/test_contract.py::test_contract_mock" in output
