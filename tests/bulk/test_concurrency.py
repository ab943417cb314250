"""The AIMD concurrency controller on its own (no HTTP)."""

from __future__ import annotations

import asyncio

import pytest

from tmapi_search.bulk.concurrency import ConcurrencyLimiter


def succeed(limiter: ConcurrencyLimiter, n: int) -> None:
    for _ in range(n):
        slot = limiter.new_slot()
        slot.success()
        limiter.record(slot)


def test_slow_start_doubles_per_window_until_the_first_503() -> None:
    limiter = ConcurrencyLimiter(1, maximum=64, adaptive=True)
    succeed(limiter, 1)
    assert limiter.limit == 2
    succeed(limiter, 2)
    assert limiter.limit == 4
    succeed(limiter, 4)
    assert limiter.limit == 8
    assert limiter.slow_start


def test_503_decreases_multiplicatively_then_increase_is_additive() -> None:
    limiter = ConcurrencyLimiter(1, maximum=64, adaptive=True, decrease=0.5)
    succeed(limiter, 15)  # slow start to 16
    assert limiter.limit == 16
    slot = limiter.new_slot()
    slot.overloaded()
    limiter.record(slot)
    assert limiter.limit == 8
    assert not limiter.slow_start
    succeed(limiter, 9)  # about one full window at 8: +1
    assert limiter.limit == 9
    succeed(limiter, 10)
    assert limiter.limit == 10


def test_503s_of_one_overshoot_decrease_only_once() -> None:
    limiter = ConcurrencyLimiter(20, maximum=64, adaptive=True, decrease=0.5)
    burst = [limiter.new_slot() for _ in range(6)]  # all started before any answer
    for slot in burst:
        slot.overloaded()
        limiter.record(slot)
    assert limiter.limit == 10
    assert limiter.decreases == 1
    later = limiter.new_slot()  # started after the decrease: a new overshoot
    later.overloaded()
    limiter.record(later)
    assert limiter.limit == 5


def test_bounded_by_maximum_and_minimum() -> None:
    limiter = ConcurrencyLimiter(1, maximum=5, adaptive=True, decrease=0.5)
    succeed(limiter, 100)
    assert limiter.limit == 5
    for _ in range(10):
        slot = limiter.new_slot()
        slot.overloaded()
        limiter.record(slot)
    assert limiter.limit == 1


def test_no_growth_without_demand() -> None:
    limiter = ConcurrencyLimiter(2, maximum=10, adaptive=True)
    for _ in range(10):
        slot = limiter.new_slot(saturated=False)
        slot.success()
        limiter.record(slot)
    assert limiter.limit == 2


def test_fixed_limiter_never_moves() -> None:
    limiter = ConcurrencyLimiter(3)
    succeed(limiter, 10)
    slot = limiter.new_slot()
    slot.overloaded()
    limiter.record(slot)
    assert limiter.limit == 3


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"initial": 0}, "initial"),
        ({"initial": 5, "maximum": 4}, "initial"),
        ({"initial": 1, "decrease": 1.0}, "decrease"),
        ({"initial": 1, "increase": 0}, "increase"),
        ({"initial": 1, "minimum": 0}, "minimum"),
    ],
)
def test_bad_settings_name_the_parameter(kwargs: dict[str, float], name: str) -> None:
    initial = int(kwargs.pop("initial"))
    with pytest.raises(ValueError, match=f"^{name}:"):
        ConcurrencyLimiter(initial, **kwargs)  # type: ignore[arg-type]


async def test_slots_bound_calls_in_flight_and_find_a_hidden_cap() -> None:
    """Simulated server with a cap of 6: the adaptive limiter converges near it."""
    cap = 6
    limiter = ConcurrencyLimiter(1, maximum=32, adaptive=True)
    server_in_flight = 0
    peak_seen = 0
    refused = 0
    ok = 0

    async def call() -> None:
        nonlocal server_in_flight, peak_seen, refused, ok
        while True:
            async with limiter.slot() as slot:
                assert limiter.in_flight <= limiter.maximum
                if server_in_flight >= cap:
                    refused += 1
                    slot.overloaded()
                    continue
                server_in_flight += 1
                peak_seen = max(peak_seen, server_in_flight)
                await asyncio.sleep(0.002)
                server_in_flight -= 1
                slot.success()
                ok += 1
                return

    await asyncio.gather(*(call() for _ in range(400)))
    assert ok == 400
    assert peak_seen == cap
    assert cap - 2 <= limiter.limit <= cap + 1
    assert limiter.decreases >= 1
    assert refused < 100


def test_probing_the_last_refused_limit_again_is_slower() -> None:
    limiter = ConcurrencyLimiter(8, maximum=64, adaptive=True, decrease=0.9)
    limiter._slow_start = False
    slot = limiter.new_slot()
    slot.overloaded()
    limiter.record(slot)  # refused at 8 -> 7.2
    assert limiter.limit == 7
    steps_to_8 = 0
    while limiter.limit < 8:
        succeed(limiter, 1)
        steps_to_8 += 1
    steps_to_9 = 0
    while limiter.limit < 9:  # past the refused limit: normal speed again
        succeed(limiter, 1)
        steps_to_9 += 1
    assert steps_to_8 > 2 * steps_to_9
