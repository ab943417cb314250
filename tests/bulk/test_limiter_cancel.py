"""Cancelling callers of `ConcurrencyLimiter.slot()` at any moment leaves it usable.

Python 3.11's `asyncio.wait_for` runs the awaited coroutine as another task; when a
cancel (SIGTERM stopping a bulk run) arrived just as the timed-ramp wait timed out, it
could swallow the cancel (the worker went on forever: a run that never exits) or leave
the condition's lock in the wrong hands. The limiter now uses `asyncio.timeout`. This
cancels workers at random moments, many times over (seeded, so a failure replays), and
checks every worker ends and the limiter still hands out a slot.
"""

from __future__ import annotations

import asyncio
import random

from tmapi_search.bulk.concurrency import ConcurrencyLimiter


async def _trial(seed: int) -> tuple[int, bool]:
    rnd = random.Random(seed)
    limiter = ConcurrencyLimiter(1, maximum=64, adaptive=True, ramp_interval=0.001)

    async def worker() -> None:
        while True:
            async with limiter.slot() as slot:
                await asyncio.sleep(rnd.random() * 0.003)
                slot.success()

    tasks = [asyncio.create_task(worker()) for _ in range(30)]
    await asyncio.sleep(rnd.random() * 0.01)
    for task in tasks:
        task.cancel()
        if rnd.random() < 0.3:
            await asyncio.sleep(0)
    _, pending = await asyncio.wait(tasks, timeout=2)
    for task in pending:  # a worker that swallowed its cancel: end it for the next trial
        task.cancel()
    usable = True
    try:
        async with asyncio.timeout(2), limiter.slot() as slot:
            slot.success()
    except TimeoutError:
        usable = False
    return len(pending), usable and not limiter._condition.locked()


def test_cancelled_waiters_end_and_leave_the_limiter_usable() -> None:
    async def main() -> list[tuple[int, int, bool]]:
        problems = []
        for seed in range(150):
            pending, usable = await _trial(seed)
            if pending or not usable:
                problems.append((seed, pending, usable))
        return problems

    assert asyncio.run(main()) == []
