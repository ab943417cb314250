"""Every named response example of the contract, with the generated model it parses into.

The model is the one the contract names for that response (`$ref` of its schema), so a
new endpoint or example added to openapi.yaml is covered without editing the tests.
`shape()` turns a parsed model into plain data, class names and value types included,
so two models (from two generated packages, or two JSON decoders) compare field by field.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import attrs

from tmapi_search import spec


def model_examples() -> list[tuple[str, str, bytes]]:
    """(test id, model class name, the example's JSON body as bytes) for every example."""
    found = []
    for path, method, status, name in spec.named_response_examples():
        response = spec._resolve(spec.load_spec()["paths"][path][method]["responses"][str(status)])
        media = response["content"]["application/json"]
        ref = media["schema"].get("$ref", "")
        if not ref.startswith("#/components/schemas/"):
            continue
        model = ref.rsplit("/", 1)[1]
        body = spec.response_examples(path, method, status)[name]
        for ascii_only in (True, False):  # \\uXXXX escapes and raw UTF-8 both decode alike
            text = json.dumps(body, ensure_ascii=ascii_only)
            kind = "ascii" if ascii_only else "utf8"
            found.append((f"{method} {path} {status} {name} {kind}", model, text.encode()))
    return found


def parse(models: ModuleType, model: str, payload: Any) -> Any:
    return getattr(models, model).from_dict(payload)


def shape(value: Any) -> Any:
    """Plain, comparable data: attrs instances become (class name, fields), types kept."""
    if attrs.has(type(value)):
        fields = {f.name: shape(getattr(value, f.name)) for f in attrs.fields(type(value))}
        return (type(value).__name__, fields)
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if type(value).__name__ == "Unset":
        return "<UNSET>"
    return (type(value).__name__, value)
