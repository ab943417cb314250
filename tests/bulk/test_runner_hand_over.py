"""The hand-over: an answered image's save waits for the call that took its slot.

`BulkRunner._hand_over` lets the next request of a freed slot go out before the
previous image's save. Paid-work safety must not change: a paid
answer is saved before the image counts done and is never lost (not by `stop()`, not
by `abandon()`), a failed save stops all further spending, no image is paid twice.
The calls go to the local stand-in over real HTTP (bodies from the spec): an in-process
mock answers without yielding, and no call would ever wait for a slot. Calls are counted
by the runner (`calls` of each save) and by the server; nothing here asserts a duration.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tmapi_search import AsyncTmapiClient
from tmapi_search.bulk import runner as runner_module
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store
from tmapi_search.testing.local_server import LocalTmapiServer

from .conftest import TOKEN, catalogue_csv

pytestmark = pytest.mark.usefixtures("no_backoff", "hand_over_on")


@pytest.fixture
def hand_over_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-over is off by default (a SIGKILL could lose one answer more): on here."""
    monkeypatch.setattr(runner_module, "HAND_OVER", 0.002)


@pytest.fixture
def server() -> Iterator[LocalTmapiServer]:
    with LocalTmapiServer() as running:
        yield running


class RecordingStore(Store):
    """Notes the run's paid calls at each save; fails the saves after `ok_saves`."""

    def __init__(self, path: Path, ok_saves: int | None = None) -> None:
        super().__init__(path)
        self.ok_saves = ok_saves
        self.calls_at_save: list[int] = []
        self.failed_at_call: int | None = None

    def save_done(
        self, image_id: int, run_id: int, items: Sequence[Mapping[str, Any]], **kwargs: Any
    ) -> None:
        calls = kwargs["calls"]
        self.calls_at_save.append(calls)
        if self.ok_saves is not None:
            if self.ok_saves <= 0:
                if self.failed_at_call is None:
                    self.failed_at_call = calls
                raise sqlite3.OperationalError("disk I/O error")
            self.ok_saves -= 1
        super().save_done(image_id, run_id, items, **kwargs)


async def start(
    store: Store, csv_path: Path, settings: BulkSettings, server: LocalTmapiServer
) -> BulkRunner:
    rows = read_input(csv_path)
    store.add_images(image.db_row() for image in rows.images)
    client = AsyncTmapiClient(api_token=TOKEN, base_url=server.base_url)
    return BulkRunner(client, store, settings)


async def run(
    store: Store, csv_path: Path, settings: BulkSettings, server: LocalTmapiServer
) -> BulkRunner:
    runner = await start(store, csv_path, settings, server)
    todo = store.images_to_do([i.key for i in read_input(csv_path).images])
    async with runner.client:
        await runner.run(todo, store.start_run(str(csv_path), {}))
    return runner


async def test_the_next_call_starts_before_the_answered_image_is_saved(tmp_path: Path) -> None:
    # answers 0.1 s apart: one is on hold at a time (an answer that came while another
    # was on hold would be saved at once)
    with RecordingStore(tmp_path / "r.sqlite") as store, LocalTmapiServer(latency=0.1) as server:
        csv_path = catalogue_csv(tmp_path / "in.csv", 6)
        settings = BulkSettings(max_items_per_image=2, concurrency=1)
        runner = await run(store, csv_path, settings, server)
        assert runner.outcome == "completed"
        # one slot: when the k-th save is made, the (k+1)-th call has its slot already
        # (the waiter the release woke runs before the hand-over's timer, whatever the
        # load)
        assert all(calls >= k + 1 for k, calls in enumerate(store.calls_at_save[:5], start=1))
        assert store.calls_at_save[-1] == 6
        assert store.counts().done == 6
        assert server.search_calls == 6
        assert max(server.calls_by_url.values()) == 1


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_a_save_that_fails_after_the_slot_went_on_stops_all_spending(
    tmp_path: Path, concurrency: int
) -> None:
    store = RecordingStore(tmp_path / "r.sqlite", ok_saves=5)
    with store, LocalTmapiServer(latency=0.05) as server:
        csv_path = catalogue_csv(tmp_path / "in.csv", 60)
        settings = BulkSettings(max_items_per_image=2, concurrency=concurrency)
        runner = await run(store, csv_path, settings, server)
        assert runner.outcome == "storage"
        assert store.failed_at_call is not None
        if concurrency == 1:  # the 6th image's save failed after its slot went on
            assert store.failed_at_call == 7
        # and no call started after the failed save (the ones already under way, the
        # one that took the failed image's slot among them, ended and were not saved)
        assert runner.stats.calls == store.failed_at_call == server.search_calls
        counts = store.counts()
        assert counts.done == 5  # only what was saved counts done
        assert counts.pending == 60 - 5  # the unsaved answers stay pending: redone next run
        # paid but not saved: the failed one and the calls in flight (one answer at a
        # time is on hold, its slot already given on), as in test_safety's full disk
        assert server.search_calls - counts.done <= concurrency + 1
        assert max(server.calls_by_url.values()) == 1  # nothing paid twice


async def saves_on_hold(runner: BulkRunner) -> list[int]:
    """Once some image holds its answer, its save waiting in the hand-over: their ids."""
    while True:
        held = [i.record.id for i in runner._current.values() if i is not None and i.saving]
        if held:
            return held
        await asyncio.sleep(0.001)


@pytest.mark.parametrize("how", ["stop", "abandon"])
async def test_an_answer_waiting_for_its_save_is_never_lost(
    tmp_path: Path, server: LocalTmapiServer, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setattr(runner_module, "HAND_OVER", 30.0)  # the save is still on hold
    with RecordingStore(tmp_path / "r.sqlite") as store:
        csv_path = catalogue_csv(tmp_path / "in.csv", 40)
        settings = BulkSettings(max_items_per_image=2, concurrency=2, grace=30.0)
        runner = await start(store, csv_path, settings, server)
        todo = store.images_to_do([i.key for i in read_input(csv_path).images])
        async with runner.client:
            task = asyncio.create_task(runner.run(todo, store.start_run("in.csv", {})))
            held = await asyncio.wait_for(saves_on_hold(runner), timeout=30)
            runner.stop() if how == "stop" else runner.abandon()
            await asyncio.wait_for(task, timeout=10)  # not the 30 s of the hand-over
        assert runner.outcome == "interrupted"
        statuses = {image.id: image.status for image in store.images()}
        assert {statuses[image_id] for image_id in held} == {"done"}  # saved, not lost
        if how == "stop":  # the calls in flight end too, and are saved
            assert store.counts().done == server.search_calls
        assert store.counts().pending == 40 - store.counts().done
        assert max(server.calls_by_url.values()) == 1
