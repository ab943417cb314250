"""The runner driven in-process against `tmapi_mock` (bodies from the spec's examples)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tmapi_search import AsyncTmapiClient, spec
from tmapi_search.bulk.inputs import read_input
from tmapi_search.bulk.runner import BulkRunner, BulkSettings
from tmapi_search.bulk.store import Store

from .conftest import TOKEN

BASE_URL = "https://api.tmapi.io"


def ok(request: httpx.Request) -> httpx.Response:
    """The contract's example page."""
    return httpx.Response(200, json=spec.response_example(), request=request)


async def run(store: Store, csv_path: Path, settings: BulkSettings) -> BulkRunner:
    """Store the catalogue's rows, then search them with one runner; the runner."""
    rows = read_input(csv_path)
    store.add_images(image.db_row() for image in rows.images)
    todo = store.images_to_do([i.key for i in rows.images])
    run_id = store.start_run(str(csv_path), {})
    async with AsyncTmapiClient(api_token=TOKEN, base_url=BASE_URL) as client:
        runner = BulkRunner(client, store, settings)
        await runner.run(todo, run_id)
    return runner
