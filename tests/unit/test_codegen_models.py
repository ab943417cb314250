"""The speed overrides of codegen/templates change speed, not results.

model.py.jinja (nested-model imports hoisted to module level) and property_templates/
(casts with quoted types) are left out, the other overrides kept: the stock
openapi-python-client templates then generate a second copy of the client in a
temporary folder. Every named response example of the contract is parsed by both, and
the models must be equal field by field (class names, values and value types,
additional properties).
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import tmapi_client.models as hoisted_models

from tests.unit.model_examples import model_examples, parse, shape

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLES = model_examples()


@pytest.fixture(scope="module")
def stock_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if not (BIN / "openapi-python-client").exists():  # e.g. the floors virtualenv
        pytest.skip("openapi-python-client is not installed (a dev tool)")
    work = tmp_path_factory.mktemp("stock")
    templates = work / "templates"
    shutil.copytree(ROOT / "codegen/templates", templates)
    (templates / "model.py.jinja").unlink()  # the perf overrides go, the others stay
    shutil.rmtree(templates / "property_templates")
    out = work / "pkgs" / "stock_tmapi_client"
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "openapi.yaml"),
            "--meta",
            "none",
            "--config",
            str(ROOT / "codegen/config.yaml"),
            "--custom-template-path",
            str(templates),
            "--output-path",
            str(out),
        ],
        cwd=work,
        env={"PATH": f"{BIN}:/usr/bin:/bin"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    source = (out / "models/search_item.py").read_text()
    assert "    def from_dict" in source
    # the stock output really imports inside from_dict and casts with live types
    # (else this test compares nothing)
    assert "        from ..models." in source
    assert "cast(list[str]," in source
    sys.path.insert(0, str(out.parent))
    try:
        yield importlib.import_module("stock_tmapi_client.models")
    finally:
        sys.path.remove(str(out.parent))
        for name in [n for n in sys.modules if n.startswith("stock_tmapi_client")]:
            del sys.modules[name]


def test_committed_models_import_nested_models_at_module_level() -> None:
    source = (ROOT / "generated_client/tmapi_client/models/search_item.py").read_text()
    assert "from ..models.shop_info import ShopInfo\n" in source
    assert "        from ..models." not in source  # nothing imported inside a method
    assert "TYPE_CHECKING" not in source
    assert 'cast("list[str]",' in source  # no type expression built per call


@pytest.mark.parametrize(("model", "body"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_hoisted_models_equal_stock_models(
    stock_models: ModuleType, model: str, body: bytes
) -> None:
    ours = parse(hoisted_models, model, json.loads(body))
    stock = parse(stock_models, model, json.loads(body))
    assert shape(ours) == shape(stock)
    assert ours.to_dict() == stock.to_dict() == json.loads(body)


def test_every_kind_of_answer_is_covered() -> None:
    models = {model for _, model, _ in EXAMPLES}
    assert {"SearchResponse", "ConvertImageUrlResponse", "ErrorResponse"} <= models
