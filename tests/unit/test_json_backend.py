"""orjson (an optional speed-up) and json give the same answers, models and errors."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import pytest
import tmapi_client.models as models

from tests.unit.model_examples import model_examples, parse, shape
from tmapi_search import _json, spec

EXAMPLES = model_examples()


def test_orjson_is_the_backend_where_installed() -> None:
    pytest.importorskip("orjson")
    assert _json.BACKEND == "orjson"


@pytest.mark.parametrize(("model", "body"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_orjson_and_json_give_identical_models(model: str, body: bytes) -> None:
    orjson = pytest.importorskip("orjson")
    fast, plain = orjson.loads(body), json.loads(body)
    assert fast == plain
    assert shape(parse(models, model, fast)) == shape(parse(models, model, plain))
    assert shape(parse(models, model, _json.loads(body))) == shape(parse(models, model, plain))


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": 200, "value": NaN, "inf": Infinity}',  # json accepts, orjson refuses
        '{"code": 200, "msg": "\u6210\u529f"}'.encode("utf-16"),  # json detects UTF-16
        b'{"code": 200, "msg": "\\ud800"}',  # a lone surrogate escape
        b'{"a": 1, "a": 2}',  # duplicate keys: the last wins in both
    ],
)
def test_what_orjson_refuses_is_decoded_as_json_does(body: bytes) -> None:
    expected = json.loads(body)
    got = _json.loads(body)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_the_one_documented_difference_integers_beyond_64_bits() -> None:
    """orjson reads an integer beyond 64 bits as a float (json: an int). The contract's
    integers are int64 at most, so only an answer outside the contract can differ."""
    pytest.importorskip("orjson")
    body = b'{"code": 200, "big": 123456789012345678901234567890}'
    assert isinstance(json.loads(body)["big"], int)
    got = _json.loads(body)["big"]
    assert isinstance(got, float)
    assert got == float(json.loads(body)["big"])


@pytest.mark.parametrize("body", [b"", b"not json", b'{"code": 200', b"\xff\xfe\x00"])
def test_invalid_bodies_raise_value_error_either_way(body: bytes) -> None:
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
        json.loads(body)
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
        _json.loads(body)


def test_without_orjson_json_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # `import orjson` raises ImportError
    try:
        reloaded = importlib.reload(_json)
        assert reloaded.BACKEND == "json"
        body = EXAMPLES[0][2]
        result: Any = reloaded.loads(body)
        assert result == json.loads(body)
    finally:
        monkeypatch.undo()
        importlib.reload(_json)


# -- through the client: every documented answer, orjson and json side by side ---------
TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
CONVERTED = "/search/imgextra/1692942898123_q7ftzxs9.jpg"
BACKENDS = {"orjson": _json.loads, "json": _json._json_loads}


def _through_client(monkeypatch: pytest.MonkeyPatch, backend: str, queue: Any, v2: bool) -> Any:
    from tmapi_search import TmapiClient, TmapiError
    from tmapi_search.testing import mock_tmapi

    monkeypatch.setattr(_json, "loads", BACKENDS[backend])
    with mock_tmapi() as tmapi, TmapiClient(TOKEN, max_retries=0) as client:
        queue(tmapi.search_v2 if v2 else tmapi.search)
        try:
            if v2:
                return shape(client.search_by_image_v2(CONVERTED))
            return shape(client.search_by_image(ALI_IMAGE))
        except TmapiError as error:
            caught = error
    leaks = TOKEN in str(caught) or TOKEN in repr(getattr(caught, "body", None))
    assert not leaks
    return (
        type(caught).__name__,
        getattr(caught, "status_code", None),
        getattr(caught, "code", None),
        getattr(caught, "msg", None),
        getattr(caught, "body", None),
    )


def _answers() -> list[tuple[str, bool, str, Any]]:
    found: list[tuple[str, bool, str, Any]] = []
    for v2, path in ((False, spec.SEARCH_PATH), (True, spec.SEARCH_V2_PATH)):
        for name in spec.response_examples(path, "get", 200):
            found.append((f"{path} 200 {name}", v2, "success", name))
        for status in spec.documented_statuses(path, "get"):
            if status != 200:
                found.append((f"{path} {status}", v2, "error", status))
                found.append((f"{path} {status} in body", v2, "in_body", status))
    return found


@pytest.mark.parametrize(
    ("v2", "kind", "what"), [a[1:] for a in _answers()], ids=[a[0] for a in _answers()]
)
def test_client_gives_the_same_results_and_errors_with_orjson_and_json(
    monkeypatch: pytest.MonkeyPatch, v2: bool, kind: str, what: Any
) -> None:
    def queue(endpoint: Any) -> None:
        if kind == "success":
            endpoint.success(what)
        else:
            endpoint.error(what, in_body=kind == "in_body")

    pytest.importorskip("orjson")
    fast = _through_client(monkeypatch, "orjson", queue, v2)
    plain = _through_client(monkeypatch, "json", queue, v2)
    assert fast == plain
    if kind != "success":  # typed, and carrying the vendor's body
        assert isinstance(fast, tuple) and fast[0].endswith("Error") and fast[4]
