"""docs/contract.md's walk-through, from drift to a new contract, run on a copy of the repo.

On a copy (the tracked files; this virtualenv linked in): the drifting stand-in serves an
undeclared item field and `tmapi-search drift` names it; the field is added to the copy's
`openapi.yaml`; `make generate`; `make check-generated`; then a search through the
stand-in serving that field returns it as a typed attribute of the generated model (and
no longer as drift), a bulk run's export has it as a column, and the report lists it
among the offers' fields as declared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIELD = """\
        video_url:
          type: string
          description: URL of the product's video (observed in answers; added from drift).
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def copy_of_repo(target: Path) -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source, dest = ROOT / name, target / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet committed
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            dest.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, dest)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def make(repo: Path, target: str) -> subprocess.CompletedProcess[str]:
    # `-o .venv/.installed`: the linked virtualenv is taken as it is (never reinstalled
    # from the copy)
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", target],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def python_in(repo: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMAPI_")}
    env["PYTHONPATH"] = os.pathsep.join([str(repo / "src"), str(repo / "generated_client")])
    env["TMAPI_TOKEN"] = "tok-WALK-SECRET-3e9a"
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


SEARCH_AND_EXPORT = """
    import json, subprocess, sys
    import tmapi_client, tmapi_search
    from tmapi_client.models import SearchItem
    from tmapi_search import TmapiClient
    from tmapi_search.testing import local_tmapi_server
    assert tmapi_client.__file__.startswith({repo!r}), tmapi_client.__file__
    seen = []
    with local_tmapi_server(drift=True) as server:
        with TmapiClient(base_url=server.base_url, on_drift=seen.append) as client:
            item = client.search_by_image({image!r}).items[0]
        open("cat.csv", "w").write("sku,img_url\\nS1,{image}\\n")
        bulk = subprocess.run(
            [sys.executable, "-m", "tmapi_search", "--base-url", server.base_url, "bulk",
             "cat.csv", "--db", "r.sqlite", "--max-items-per-image", "2"],
            capture_output=True, text=True)
        assert bulk.returncode == 0, bulk.stderr
    export = subprocess.run(
        [sys.executable, "-m", "tmapi_search", "export", "--db", "r.sqlite", "--format", "csv"],
        capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    report = subprocess.run(
        [sys.executable, "-m", "tmapi_search", "report", "--db", "r.sqlite", "--out", "r.html",
         "--force"],
        capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    import re
    html = open("r.html", encoding="utf-8").read()
    data = json.loads(re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1))
    print(json.dumps({{
        "report": {{name: declared for name, _, declared in data["fields"]}},
        "typed": "video_url" in SearchItem.__annotations__,
        "value": getattr(item, "video_url", None),
        "extra": sorted(item.additional_properties),
        "drift": sorted(e.path for e in seen),
        "header": export.stdout.splitlines()[0].split(","),
    }}))
"""


@pytest.mark.timeout(900)
def test_from_drift_to_a_new_field(tmp_path: Path) -> None:
    from tmapi_search.testing.local_server import LocalTmapiServer  # noqa: F401 (the extra)

    repo = copy_of_repo(tmp_path / "repo")
    work = tmp_path / "work"
    work.mkdir()
    image = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"

    # 1. `tmapi-search drift` names the new field (a bulk run against the drifting stand-in)
    before = python_in(repo, SEARCH_AND_EXPORT.format(repo=str(repo), image=image), work)
    assert before.returncode == 0, before.stderr
    found = json.loads(before.stdout.splitlines()[-1])
    assert not found["typed"] and "video_url" in found["extra"]
    assert found["report"]["video_url"] is False  # listed, as not in openapi.yaml
    assert "data.items[].video_url" in found["drift"]
    report = python_in(
        repo,
        "import sys; from tmapi_search.cli import main; sys.argv[1:] = "
        "['drift', '--db', 'r.sqlite', '--format', 'json']; main()",
        work,
    )
    assert report.returncode == 1 and "data.items[].video_url" in report.stdout

    # 2. add it to openapi.yaml (SearchItem's properties)
    spec = repo / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    anchor = "    SearchItem:\n"
    start = text.index(anchor)
    props = text.index("      properties:\n", start) + len("      properties:\n")
    spec.write_text(text[:props] + FIELD + text[props:], encoding="utf-8")

    # 3. make generate; 4. make check-generated
    generated = make(repo, "generate")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    checked = make(repo, "check-generated")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "video_url" in (repo / "generated_client/tmapi_client/models/search_item.py").read_text()

    # 5. a search through the stand-in serving it: a typed field, no longer drift; exported
    (work / "r.sqlite").unlink()
    after = python_in(repo, SEARCH_AND_EXPORT.format(repo=str(repo), image=image), work)
    assert after.returncode == 0, after.stderr
    found = json.loads(after.stdout.splitlines()[-1])
    assert found["typed"] and found["value"].startswith("https://")
    assert "video_url" not in found["extra"]
    assert found["drift"] == ["data.total_count"]  # the other drift is still reported
    assert "item.video_url" in found["header"]
    assert found["report"]["video_url"] is True  # listed as a field of the contract
