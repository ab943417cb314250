"""The speed overrides of codegen/templates change speed, not results.

model.py.jinja (nested-model imports hoisted to module level, positional constructor
calls) and property_templates/ (casts with quoted types, single-model unions inlined)
are left out, the other overrides kept: the stock openapi-python-client templates then
generate a second copy of the client in a temporary folder. Every named response
example of the contract is parsed by both, and so are variants of each (any node
replaced by null, another type, a dict with keys missing or added); the models must be
equal field by field (class names, values and value types, additional properties), or
both raise the same exception type. And every from_dict passes its arguments in the
order of attrs' __init__ (a positional call in another order would swap fields).
"""

from __future__ import annotations

import ast
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import attrs
import pytest
import tmapi_client.models as hoisted_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.model_examples import model_examples, parse, shape
from tests.unit.test_client_fuzz import json_values, paths, replaced

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
    assert "def _parse_shop_info(" in source  # the stock union function, inlined in ours
    assert "item_id=item_id," in source  # the stock keyword call, positional in ours
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
    assert "def _parse_" not in source  # no function defined per call
    assert "item_id=item_id" not in source  # positional constructor call


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


def _outcome(models: ModuleType, model: str, payload: object) -> object:
    try:
        return shape(parse(models, model, payload))
    except Exception as exc:  # the same failure on both sides is a same result
        return ("raises", type(exc).__name__)


#: (model, example body, path of one node) for every node of every example (utf8 copy)
NODES = [
    (model, json.loads(body), path)
    for test_id, model, body in EXAMPLES
    if test_id.endswith(" utf8")
    for path in paths(json.loads(body))
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=st.sampled_from(NODES), value=json_values)
def test_variants_of_every_example_parse_alike(
    stock_models: ModuleType, node: tuple[str, object, tuple[object, ...]], value: object
) -> None:
    model, example, path = node
    body = replaced(path, value, example)
    assert _outcome(hoisted_models, model, body) == _outcome(stock_models, model, body)


@pytest.mark.parametrize("node", NODES, ids=lambda n: f"{n[0]}:{'/'.join(map(str, n[2]))}")
def test_null_wrong_type_and_emptied_nodes_parse_alike(
    stock_models: ModuleType, node: tuple[str, object, tuple[object, ...]]
) -> None:
    model, example, path = node
    for value in (None, "text", 7, [], {}, {"unknown": 1}):
        body = replaced(path, value, example)
        assert _outcome(hoisted_models, model, body) == _outcome(stock_models, model, body)


def _models() -> list[type]:
    return [
        value
        for value in vars(hoisted_models).values()
        if isinstance(value, type) and attrs.has(value)
    ]


@pytest.mark.parametrize("cls", _models(), ids=lambda cls: cls.__name__)
def test_from_dict_passes_arguments_in_init_order(cls: type) -> None:
    module = importlib.import_module(cls.__module__)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    (from_dict,) = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "from_dict"
    ]
    (call,) = [
        node
        for node in ast.walk(from_dict)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "cls"
    ]
    assert not call.keywords
    passed = [arg.id for arg in call.args if isinstance(arg, ast.Name)]
    expected = [field.name for field in attrs.fields(cls) if field.init]
    assert passed == expected
