"""Any answer body at all: the client returns the generated model or raises a TmapiError.

Hypothesis mutates the contract's documented 200 example (replacing one node, at any
depth, with arbitrary JSON) and also throws arbitrary bytes/JSON as the whole body,
under several HTTP statuses. Never a raw KeyError, TypeError, ValueError or
JSONDecodeError out of a call; never the token in an error's text.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tmapi_client.models import SearchData, SearchDataV2

from tmapi_search import TmapiClient, TmapiError, spec
from tmapi_search.testing import mock_tmapi

TOKEN = "tok-SECRET-4f1c9a7e"
ALI_IMAGE = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
EXAMPLE = spec.response_example(name="vendor_two_items")
EXAMPLE_V2 = spec.response_example(spec.SEARCH_V2_PATH, "get", 200)
CONVERTED = "/search/imgextra/1692942898123_q7ftzxs9.jpg"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


PATHS = paths(EXAMPLE)
PATHS_V2 = paths(EXAMPLE_V2)


def replaced(path: tuple[Any, ...], value: Any, example: Any = EXAMPLE) -> Any:
    body = json.loads(json.dumps(example))
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def call_with(status: int, content: bytes, v2: bool = False) -> None:
    with mock_tmapi() as tmapi, TmapiClient(TOKEN, max_retries=0) as client:
        endpoint = tmapi.search_v2 if v2 else tmapi.search
        endpoint.respond(status, content=content, headers={"content-type": "application/json"})
        outcome: object
        try:
            if v2:
                outcome = client.search_by_image_v2(CONVERTED)
            else:
                outcome = client.search_by_image(ALI_IMAGE)
        except TmapiError as error:
            outcome = error
    if isinstance(outcome, TmapiError):
        assert TOKEN not in str(outcome) and TOKEN not in repr(outcome)
    else:
        assert isinstance(outcome, SearchDataV2 if v2 else SearchData)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=json_values)
def test_mutated_example_never_escapes_raw(path: tuple[Any, ...], value: Any) -> None:
    call_with(200, json.dumps(replaced(path, value)).encode())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([200, 401, 417, 422, 439, 499, 500, 502, 503, 504]),
    body=json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64),
)
def test_arbitrary_body_never_escapes_raw(status: int, body: bytes) -> None:
    call_with(status, body)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS_V2), value=json_values)
def test_mutated_v2_example_never_escapes_raw(path: tuple[Any, ...], value: Any) -> None:
    call_with(200, json.dumps(replaced(path, value, EXAMPLE_V2)).encode(), v2=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([200, 401, 422, 503]),
    body=json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64),
)
def test_arbitrary_v2_body_never_escapes_raw(status: int, body: bytes) -> None:
    call_with(status, body, v2=True)
