"""`make check-generated` catches a contract edit that was not followed by `make generate`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)


def _make(workdir: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-C", str(workdir), target, f"VENV={VENV}", "-o", f"{VENV}/.installed"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_generated_fails_after_spec_edit_until_generate(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    work.mkdir()
    for name in ("openapi.yaml", "Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, work / name)
    for name in ("codegen", "generated_client"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))

    first = _make(work, "check-generated")
    assert first.returncode == 0, first.stdout + first.stderr

    spec = work / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    edited = text.replace(
        "          description: Whether shipping is free.\n",
        "          description: Whether shipping is free.\n"
        "        insured:\n"
        "          type: boolean\n"
        "          description: Added by a test.\n",
    )
    assert edited != text
    spec.write_text(edited, encoding="utf-8")

    stale = _make(work, "check-generated")
    assert stale.returncode != 0
    assert "make generate" in stale.stderr
    assert "insured" in stale.stdout

    regenerated = _make(work, "generate")
    assert regenerated.returncode == 0, regenerated.stderr
    assert "insured" in (work / "generated_client/tmapi_client/models/delivery_info.py").read_text()

    fresh = _make(work, "check-generated")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
