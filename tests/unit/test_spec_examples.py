"""Every example in openapi.yaml validates against the schema it illustrates."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tmapi_search import spec

SPEC_URI = "urn:tmapi-openapi"
ERROR_CODES = [417, 422, 439, 499, 500, 503]


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validator(*pointer: str) -> jsonschema.Draft202012Validator:
    document = spec.load_spec()
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"{SPEC_URI}#/{_pointer(*pointer)}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _all_examples() -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """(id, pointer to the schema, example value) for every response and body example."""
    document = spec.load_spec()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                response = _resolve(document, response)
                media = response["content"]["application/json"]
                if "$ref" in operation["responses"][status]:
                    name = operation["responses"][status]["$ref"].rsplit("/", 1)[-1]
                    pointer: tuple[str, ...] = ("components", "responses", name)
                else:
                    pointer = ("paths", path, method, "responses", status)
                pointer += ("content", "application/json", "schema")
                for ex_name, example in media["examples"].items():
                    yield f"{method} {path} {status} {ex_name}", pointer, example["value"]
            body = operation.get("requestBody")
            if body:
                media = body["content"]["application/json"]
                pointer = ("paths", path, method, "requestBody", "content", "application/json")
                for ex_name, example in media["examples"].items():
                    yield f"{method} {path} body {ex_name}", (*pointer, "schema"), example["value"]


EXAMPLES = list(_all_examples())


@pytest.mark.parametrize(
    ("pointer", "value"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_example_validates_against_its_schema(pointer: tuple[str, ...], value: Any) -> None:
    _validator(*pointer).validate(value)


def test_every_documented_error_code_has_its_vendor_message() -> None:
    for path, method in [(spec.SEARCH_PATH, "get"), (spec.CONVERT_PATH, "post")]:
        assert set(ERROR_CODES) <= set(spec.documented_statuses(path, method))
        for code in ERROR_CODES:
            body = spec.error_example(code, path, method)
            assert body["code"] == code
            assert body["msg"]


def test_a_broken_example_is_rejected() -> None:
    """The validation above can fail: a wrong type deep inside an item is caught."""
    body = copy.deepcopy(spec.response_example(name="vendor_two_items"))
    body["data"]["items"][0]["shop_info"]["is_factory"] = "yes"
    validator = _validator(
        "paths",
        spec.SEARCH_PATH,
        "get",
        "responses",
        "200",
        "content",
        "application/json",
        "schema",
    )
    with pytest.raises(jsonschema.ValidationError, match="is_factory|'yes'"):
        validator.validate(body)


def test_request_parameters_are_strict() -> None:
    """Limits and enums of the vendor page are in the contract."""
    params = {
        p["name"]: p for p in spec.load_spec()["paths"][spec.SEARCH_PATH]["get"]["parameters"]
    }
    assert params["img_url"]["required"] is True
    assert params["img_url"]["schema"]["minLength"] == 1
    assert params["page"]["schema"]["minimum"] == 1
    assert (params["page_size"]["schema"]["minimum"], params["page_size"]["schema"]["maximum"]) == (
        1,
        20,
    )
    schemas = spec.load_spec()["components"]["schemas"]
    assert schemas["Language"]["enum"] == [
        "en",
        "zh",
        "ru",
        "th",
        "pt",
        "es",
        "tr",
        "vi",
        "ja",
        "ko",
    ]
    assert schemas["Sort"]["enum"] == ["default", "sales", "price_up", "price_down"]
    for name in [
        "support_dropshipping",
        "is_factory",
        "verified_supplier",
        "free_shipping",
        "new_arrival",
    ]:
        assert params[name]["schema"]["type"] == "boolean"
