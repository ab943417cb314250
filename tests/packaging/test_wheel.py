"""The package as a user gets it: sdist -> wheel -> three fresh virtualenvs.

- core (`pip install tmapi-search`): the SDK imports and answers a call against a local
  HTTP server; none of the extras' packages is installed; `tmapi-search` says in one
  line to install `tmapi-search[cli]` (exit 2); the pytest plugin loads in a user's
  suite that has pytest but not the `[testing]` extra, and only a test that asks for
  `tmapi_mock` fails, with the line to install.
- `[cli]`: `tmapi-search --help`, and one `search` against the local server.
- `[testing]`: `mock_tmapi()` in a plain script, without pytest installed.

The wheel is built from the sdist (as pip does from PyPI), so a file missing from the
sdist fails here too. Installs are offline (`--no-index`) from a wheelhouse of the
locked versions, built once per `requirements.lock` and kept in the dev virtualenv
(`.venv/wheelhouse-<hash>`), so a rerun takes seconds; the first run downloads it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tmapi_search import spec
from tmapi_search.testing import LocalTmapiServer, local_tmapi_server

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
TOKEN = "tok-wheel-test-5d2e"
# What each extra brings (click comes with typer); the core install has none of them.
CLI_PACKAGES = ("typer", "rich", "click")
TESTING_PACKAGES = ("respx", "jsonschema", "yaml")


def run(args: list[Any], *, env: dict[str, str] | None = None, **kwargs: Any) -> str:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, env=env, **kwargs
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def offline_pip_env() -> dict[str, str]:
    """No pip configuration of this machine (indexes, find-links, constraints) applies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist built from the repo, and the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", out], cwd=REPO_ROOT)
    (sdist,) = out.glob("tmapi_search-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(out / "unpacked", filter="tar")
    (source,) = (out / "unpacked").iterdir()
    run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", out], cwd=source)
    (wheel,) = out.glob("tmapi_search-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheelhouse(dist: Path) -> Path:
    """Wheels of every locked dependency the extras (and pytest) need; built once per lock."""
    lock = (REPO_ROOT / "requirements.lock").read_bytes()
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = json.dumps([project["dependencies"], project["optional-dependencies"]])
    key = hashlib.sha256(lock + declared.encode()).hexdigest()[:12]
    root = Path(sys.prefix)
    house = root / f"wheelhouse-{key}"
    if house.is_dir():
        return house
    building = root / f"wheelhouse-{key}.{os.getpid()}.tmp"
    shutil.rmtree(building, ignore_errors=True)
    run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check",
         "-c", REPO_ROOT / "requirements.lock", "-w", building,
         f"{dist}[cli,testing]", "pytest"],
    )  # fmt: skip
    for ours in building.glob("tmapi_search-*.whl"):
        ours.unlink()
    for old in root.glob("wheelhouse-*"):
        if old.name != house.name and not old.name.endswith(".tmp"):
            shutil.rmtree(old, ignore_errors=True)
    try:
        building.rename(house)
    except OSError:  # another run finished first: use its copy
        shutil.rmtree(building, ignore_errors=True)
    return house


class FreshVenv:
    def __init__(self, path: Path, wheelhouse: Path) -> None:
        venv.create(path, with_pip=False, symlinks=os.name != "nt")
        self.path = path
        self.bin = path / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / "python"
        self.wheelhouse = wheelhouse

    def install(self, *requirements: str) -> None:
        run(
            [sys.executable, "-m", "pip", "--python", self.python, "install", "-q", "--no-compile",
             "--no-index", "--find-links", self.wheelhouse, *requirements],
            env=offline_pip_env(),
        )  # fmt: skip

    def script(self, code: str, **env: str) -> str:
        return run([self.python, "-c", textwrap.dedent(code)], env={**os.environ, **env})

    def installed(self, modules: tuple[str, ...]) -> list[str]:
        found = self.script(
            f"""
            import importlib.util, json
            print(json.dumps([m for m in {modules!r} if importlib.util.find_spec(m)]))
            """
        )
        result: list[str] = json.loads(found)
        return result


@pytest.fixture(scope="module")
def venvs(
    dist: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, FreshVenv]:
    """The three installs, made side by side (pytest in core: for a user's own suite)."""
    root = tmp_path_factory.mktemp("venvs")
    wanted = {
        "core": [str(dist), "pytest"],
        "cli": [f"{dist}[cli]"],
        "testing": [f"{dist}[testing]"],
    }

    def make(name: str) -> FreshVenv:
        env = FreshVenv(root / name, wheelhouse)
        env.install(*wanted[name])
        return env

    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        made = dict(zip(wanted, pool.map(make, wanted), strict=True))
    return made


@pytest.fixture(scope="module")
def server() -> Iterator[LocalTmapiServer]:
    with local_tmapi_server() as running:
        yield running


def vendor_item_ids() -> list[int]:
    return [item["item_id"] for item in spec.response_example()["data"]["items"]]


def test_the_wheel_ships_the_contract_the_plugin_and_both_packages(dist: Path) -> None:
    """openapi.yaml is a real file in the wheel (the repo's is a symlink)."""
    with zipfile.ZipFile(dist) as archive:
        names = archive.namelist()
        packaged = archive.read("tmapi_search/openapi.yaml")
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert packaged == (REPO_ROOT / "openapi.yaml").read_bytes()
    assert "tmapi = tmapi_search.testing.plugin" in entry_points.decode()
    assert "tmapi-search = tmapi_search.cli:main" in entry_points.decode()
    for module in ("tmapi_search/cli/app.py", "tmapi_search/bulk/runner.py",
                   "tmapi_search/testing/plugin.py", "tmapi_client/client.py",
                   "tmapi_search/py.typed"):  # fmt: skip
        assert module in names
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    # ranges, never pins (the `dev` extra is this repo's own tooling, pinned like the lock)
    assert not [line for line in requires if "==" in line.partition(";")[0] and "'dev'" not in line]
    assert "Requires-Dist: httpx<1,>=0.27" in requires
    assert "Provides-Extra: cli" in metadata and "Provides-Extra: testing" in metadata


def test_core_install(
    venvs: dict[str, FreshVenv], server: LocalTmapiServer, tmp_path: Path
) -> None:
    env = venvs["core"]
    assert env.installed(CLI_PACKAGES + TESTING_PACKAGES) == []

    out = env.script(
        f"""
        import json
        from tmapi_search import TmapiClient
        with TmapiClient(base_url={server.base_url!r}, api_token={TOKEN!r}) as client:
            data = client.search_by_image({IMAGE!r})
        print(json.dumps([item.item_id for item in data.items]))
        try:
            from tmapi_search.testing import mock_tmapi
        except ModuleNotFoundError as error:
            print(error)
        """
    )
    ids, missing = out.splitlines()
    assert json.loads(ids) == vendor_item_ids()
    assert server.search_calls == 1
    assert "pip install 'tmapi-search[testing]'" in missing

    # the console script and `python -m tmapi_search`: one line, exit 2
    for command in ([env.bin / "tmapi-search", "search", IMAGE],
                    [env.python, "-m", "tmapi_search", "--help"]):  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "tmapi-search: the command-line tool needs its extra: pip install 'tmapi-search[cli]'"
        ]

    # an SDK user's own pytest suite: our plugin loads (pytest11) and breaks nothing;
    # only a test that asks for tmapi_mock fails, saying what to install
    suite = tmp_path / "user_suite"
    suite.mkdir()
    (suite / "test_user.py").write_text(
        textwrap.dedent(
            """
            import tmapi_search

            def test_their_own_code():
                assert tmapi_search.TmapiClient

            def test_no_backoff_needs_no_extra(tmapi_no_backoff):
                pass

            def test_asks_for_the_mock(tmapi_mock):
                pass
            """
        )
    )
    result = subprocess.run(
        [env.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", suite],
        capture_output=True, text=True, timeout=120, cwd=suite,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 passed, 1 error" in result.stdout
    assert "ERROR at setup of test_asks_for_the_mock" in result.stdout
    assert (
        "tmapi_mock: tmapi_search.testing needs its extra: pip install 'tmapi-search[testing]'"
        in result.stdout
    )
    assert "Traceback" not in result.stdout


def test_cli_install(venvs: dict[str, FreshVenv], server: LocalTmapiServer) -> None:
    env = venvs["cli"]
    assert env.installed((*TESTING_PACKAGES, "pytest")) == []
    script = env.bin / "tmapi-search"

    help_text = run([script, "--help"], env={**os.environ, "COLUMNS": "120"})
    for command in ("search", "convert", "bulk", "export"):
        assert command in help_text

    before = server.search_calls
    out = run(
        [script, "--base-url", server.base_url, "search", IMAGE, "--format", "jsonl"],
        env={**os.environ, "TMAPI_TOKEN": TOKEN},
    )
    assert [json.loads(line)["item_id"] for line in out.splitlines()] == vendor_item_ids()
    assert server.search_calls == before + 1
    assert TOKEN not in out


def test_testing_install(venvs: dict[str, FreshVenv]) -> None:
    env = venvs["testing"]
    assert env.installed((*CLI_PACKAGES, "pytest")) == []

    out = env.script(
        f"""
        from tmapi_search import SubscriptionError, TmapiClient
        from tmapi_search.testing import mock_tmapi

        with mock_tmapi() as tmapi, TmapiClient(api_token={TOKEN!r}) as client:
            tmapi.search.error(439)
            tmapi.search.success()
            try:
                client.search_by_image({IMAGE!r})
            except SubscriptionError as error:
                print("billing", error.code)
            data = client.search_by_image({IMAGE!r})
            print(data.total_count, tmapi.search.call_count)
        """
    )
    total = spec.response_example()["data"]["total_count"]
    assert out.splitlines() == ["billing 439", f"{total} 2"]
