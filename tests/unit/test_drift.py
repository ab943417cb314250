"""Contract drift: `find_drift`, the clients' `on_drift` hook, and the strict mock.

Payloads are the spec's examples, and the same examples edited the way a vendor drifts.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tmapi_search import AsyncTmapiClient, DriftEvent, TmapiClient, spec
from tmapi_search.drift import EXAMPLE_CHARS, OPEN_OBJECTS, ContractDriftError, find_drift
from tmapi_search.testing import TmapiMock, mock_tmapi

TOKEN = "tok-DRIFT-SECRET-7c1d"
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
OPERATIONS = {
    spec.SEARCH_PATH: "search_by_image",
    spec.SEARCH_V2_PATH: "search_by_image_v2",
    spec.CONVERT_PATH: "convert_image_url",
}


def drifting(body: dict[str, Any]) -> dict[str, Any]:
    """An example as a drifting vendor sends it (what the stand-in's `drift=True` serves)."""
    data = body["data"]
    data["total_count"] = str(data["total_count"])
    for item in data["items"]:
        item["video_url"] = "https://cloud.video.taobao.com/play/u/" + "x" * 200
    return body


@pytest.mark.parametrize(
    ("path", "method", "name"),
    [(p, m, n) for p, m, status, n in spec.named_response_examples() if status == 200],
)
def test_the_specs_own_examples_do_not_drift(path: str, method: str, name: str) -> None:
    assert find_drift(spec.response_example(path, method, 200, name), OPERATIONS[path]) == []


def test_each_kind_with_path_expectation_example_and_count() -> None:
    body = drifting(spec.response_example())
    body["data"]["sort"] = "newest"
    body["data"]["items"][0]["quantity_prices"] = None
    del body["data"]["items"][1]["item_id"]
    body["data"]["filters"] = {"anything": 1}  # declared open: not drift
    events = {(e.path, e.kind): e for e in find_drift(body, "search_by_image")}
    assert set(events) == {
        ("data.total_count", "type"),
        ("data.items[].video_url", "undeclared"),
        ("data.sort", "enum"),
        ("data.items[].quantity_prices", "null"),
        ("data.items[].item_id", "missing"),
    }
    count = events["data.total_count", "type"]
    assert (count.expected, count.example, count.count) == ("integer", '"666"', 1)
    video = events["data.items[].video_url", "undeclared"]
    assert video.count == len(body["data"]["items"]) == 2
    assert len(video.example) == EXAMPLE_CHARS and video.example.endswith("...")
    assert "default" in events["data.sort", "enum"].expected
    assert events["data.items[].item_id", "missing"].example == "(absent)"
    assert all(e.operation == "search_by_image" for e in events.values())


def test_open_objects_are_the_ones_the_spec_declares_open() -> None:
    # the generator names an inline object schema after its parent and property
    declared_open = {
        f"{name}{prop.title()}"
        for name, schema in spec.load_spec()["components"]["schemas"].items()
        for prop, sub in schema.get("properties", {}).items()
        if isinstance(sub, dict) and sub.get("additionalProperties") is True
    }
    assert declared_open == OPEN_OBJECTS


def test_client_reports_tolerates_and_logs_once_per_path(
    tmapi_mock: TmapiMock, caplog: pytest.LogCaptureFixture
) -> None:
    tmapi_mock.search.success(transform=drifting)
    caplog.set_level(logging.INFO, logger="tmapi_search.drift")
    with TmapiClient(TOKEN) as client:
        for _ in range(3):
            page = client.search_by_image(ALI)
            assert page.total_count == 666  # the string read as the integer
            assert page.items[0]["video_url"].startswith("https://")  # kept
    lines = [r.getMessage() for r in caplog.records if r.name == "tmapi_search.drift"]
    assert len(lines) == 2  # one per path, not per answer
    assert any("data.items[].video_url" in line for line in lines)
    assert any("data.total_count" in line for line in lines)
    assert not any(TOKEN in line for line in lines)


async def test_async_client_hook_gets_every_event(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.search_v2.success(transform=drifting)
    seen: list[DriftEvent] = []
    async with AsyncTmapiClient(TOKEN, on_drift=seen.append) as client:
        page = await client.search_by_image_v2("/search/imgextra/a.jpg")
        await client.search_by_image_v2("/search/imgextra/a.jpg", page=2)
    assert page.total_count == int(
        spec.response_example(spec.SEARCH_V2_PATH)["data"]["total_count"]
    )
    assert sorted({(e.path, e.kind) for e in seen}) == [
        ("data.items[].video_url", "undeclared"),
        ("data.total_count", "type"),
    ]
    assert len(seen) == 4 and {e.operation for e in seen} == {"search_by_image_v2"}


def test_on_drift_must_be_callable() -> None:
    with pytest.raises(ValueError, match="on_drift"):
        TmapiClient(TOKEN, on_drift="log")  # type: ignore[arg-type]


def test_strict_mock_fails_on_drift_and_passes_on_the_examples() -> None:
    with mock_tmapi(strict=True) as tmapi, TmapiClient(TOKEN) as client:
        for name in tmapi.search.example_names():
            tmapi.search.success(name)
            client.search_by_image(ALI)
        client.search_by_image_v2("/search/imgextra/a.jpg")
        client.convert_image_url("https://example.com/a.jpg")
        tmapi.search.error(503)  # errors are not success bodies: served as they are
        with pytest.raises(Exception, match="503|Concurrency"):
            client.search_by_image(ALI, max_retries=0)
        tmapi.search.success(transform=drifting)
        with pytest.raises(ContractDriftError) as caught:
            client.search_by_image(ALI)
    assert {e.path for e in caught.value.events} == {"data.total_count", "data.items[].video_url"}
    assert "data.items[].video_url: undeclared" in str(caught.value)


def test_strict_fixture_switch(tmapi_mock: TmapiMock) -> None:
    tmapi_mock.strict = True
    tmapi_mock.search.respond(200, json=drifting(spec.response_example()))
    with TmapiClient(TOKEN) as client, pytest.raises(ContractDriftError):
        client.search_by_image(ALI)
    tmapi_mock.strict = False
    with TmapiClient(TOKEN) as client:
        assert client.search_by_image(ALI).total_count == 666


def test_non_object_answer_is_one_type_event() -> None:
    assert [(e.path, e.kind) for e in find_drift([1], "search_by_image")] == [("$", "type")]
    with pytest.raises(ValueError, match="operation"):
        find_drift({}, "nope")


def test_v2_filters_declare_the_price_range_and_keep_other_keys() -> None:
    from tmapi_client.models import SearchResponseV2

    body = spec.response_example(spec.SEARCH_V2_PATH)
    body["data"]["filters"] = {"price_start": "2", "price_end": "30", "region": "zj"}
    filters = SearchResponseV2.from_dict(body).data.filters
    assert (filters.price_start, filters.price_end) == ("2", "30")
    assert filters["region"] == "zj"  # still accepted, and not drift
    assert find_drift(body, "search_by_image_v2") == []
    body["data"]["filters"]["price_end"] = 30
    assert [(e.path, e.kind) for e in find_drift(body, "search_by_image_v2")] == [
        ("data.filters.price_end", "type")
    ]


def test_sampling_checks_the_first_answers_then_one_in_every(tmapi_mock: TmapiMock) -> None:
    from tmapi_search import DriftSampler

    tmapi_mock.search.success(transform=drifting)
    seen: list[DriftEvent] = []
    with TmapiClient(TOKEN, on_drift=seen.append) as client:
        client.drift_sampler = DriftSampler(first=2, every=3)
        pages = [client.search_by_image(ALI, page=n) for n in range(1, 8)]
    assert all(page.total_count == 666 for page in pages)  # read on every answer
    counts = [e for e in seen if e.path == "data.total_count"]
    assert len(counts) == 4  # answers 1, 2, 3, 6
    sampler = DriftSampler(every=1)
    assert all(sampler.due("search_by_image") for _ in range(100))
