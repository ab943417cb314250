"""Running the installed `tmapi-search` console script as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TOKEN = "tok-E2E-SECRET-5b8c3f1d"
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def cli_path() -> str:
    """The console script installed next to this interpreter (the package's entry point)."""
    found = shutil.which("tmapi-search", path=str(Path(sys.executable).parent))
    assert found, "tmapi-search is not installed in this virtualenv (make install)"
    return found


def cli_env(base_url: str | None, token: str | None = TOKEN, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TMAPI_", "MAKE", "MFLAGS"))}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    if base_url is not None:
        env["TMAPI_BASE_URL"] = base_url
    if token is not None:
        env["TMAPI_TOKEN"] = token
    env.update(extra)
    return env


def run_cli(
    *args: str,
    base_url: str | None = None,
    token: str | None = TOKEN,
    timeout: float = 60,
    cwd: Path | None = None,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [cli_path(), *args],
        env=cli_env(base_url, token, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def start_cli(*args: str, base_url: str, token: str = TOKEN) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [cli_path(), *args],
        env=cli_env(base_url, token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
