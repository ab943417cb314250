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


def refuse(limiter: ConcurrencyLimiter, admitted_with: int | None = None) -> None:
    slot = limiter.new_slot(admitted_with=admitted_with)
    slot.overloaded()
    limiter.record(slot)


def test_503_sets_the_limit_to_what_the_server_accepted_then_increase_is_additive() -> None:
    limiter = ConcurrencyLimiter(1, maximum=64, adaptive=True)
    succeed(limiter, 15)  # slow start to 16
    assert limiter.limit == 16
    refuse(limiter, admitted_with=9)  # 8 others were in flight: the cap is about 8
    assert limiter.limit == 8
    assert not limiter.slow_start
    succeed(limiter, 9)  # about one full window at 8: +1, carefully (8 -> 9 was not refused)
    assert limiter.limit == 9
    succeed(limiter, 10)
    assert limiter.limit == 10


def test_503_in_a_full_window_steps_down_by_one() -> None:
    limiter = ConcurrencyLimiter(20, maximum=64, adaptive=True)
    refuse(limiter)  # admitted with the window full: 19 others accepted
    assert limiter.limit == 19


def test_503_never_cuts_more_than_decrease_at_once() -> None:
    limiter = ConcurrencyLimiter(20, maximum=64, adaptive=True, decrease=0.5)
    refuse(limiter, admitted_with=1)  # nothing else of ours in flight (other clients)
    assert limiter.limit == 10
    refuse(limiter, admitted_with=1)
    assert limiter.limit == 5


def test_503s_of_one_overshoot_decrease_only_once() -> None:
    limiter = ConcurrencyLimiter(20, maximum=64, adaptive=True)
    burst = [limiter.new_slot(admitted_with=n) for n in range(15, 21)]  # before any answer
    for slot in burst:
        slot.overloaded()
        limiter.record(slot)
    assert limiter.limit == 14
    assert limiter.decreases == 1
    refuse(limiter, admitted_with=8)  # admitted after the decrease: a new overshoot
    assert limiter.limit == 7
    assert limiter.decreases == 2


def test_a_dropping_cap_is_followed_refusal_by_refusal() -> None:
    """Cap 8 -> 4: each refused call, admitted after the last decrease, lowers the limit."""
    limiter = ConcurrencyLimiter(8, maximum=64, adaptive=True)
    limiter._slow_start = False
    for _ in range(20):
        if limiter.limit <= 4:
            break
        refuse(limiter, admitted_with=limiter.limit)  # a full window, refused
    assert limiter.limit == 4


def test_timed_ramp_grows_while_callers_wait_whatever_the_latency() -> None:
    now = [0.0]
    limiter = ConcurrencyLimiter(
        4, maximum=50, adaptive=True, ramp_interval=0.025, clock=lambda: now[0]
    )
    assert not limiter.ramp()  # nobody waits: no demand, no growth
    limiter._waiting = 10
    assert not limiter.ramp()  # not yet 25 ms
    for _ in range(100):
        now[0] += 0.025
        limiter.ramp()
    assert limiter.limit == 50  # bounded by maximum
    limiter._limit = 20.0
    now[0] += 1.0  # woken a second late: the loop is starved, answers may be unread
    assert not limiter.ramp()
    now[0] += 0.025
    assert limiter.ramp()  # on time again
    assert limiter.limit == 21
    refuse(limiter, admitted_with=16)
    assert limiter.limit == 15
    now[0] += 1.0
    assert not limiter.ramp()  # slow start is over: only additive increase now


def test_bounded_by_maximum_and_minimum() -> None:
    limiter = ConcurrencyLimiter(1, maximum=5, adaptive=True, decrease=0.5)
    succeed(limiter, 100)
    assert limiter.limit == 5
    for _ in range(10):
        refuse(limiter)
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
        ({"initial": 1, "ramp_interval": -1}, "ramp_interval"),
        ({"initial": 1, "probe_interval": -1}, "probe_interval"),
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
    limiter = ConcurrencyLimiter(8, maximum=64, adaptive=True, probe_interval=0)
    limiter._slow_start = False
    refuse(limiter)  # refused with the window full at 8 -> 7
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


def test_the_refused_limit_is_probed_at_most_once_per_probe_interval() -> None:
    now = 100.0
    limiter = ConcurrencyLimiter(5, maximum=64, adaptive=True, clock=lambda: now)
    limiter._slow_start = False
    refuse(limiter, admitted_with=5)  # 4 accepted, the 5th refused: the cap is 4
    assert limiter.limit == 4
    succeed(limiter, 200)  # 50 round trips at once: no probe before the interval
    assert limiter.limit == 4
    now += 1.0
    steps = 0
    while limiter.limit < 5:  # the interval passed: the probe
        succeed(limiter, 1)
        steps += 1
    assert steps == 1  # it waited just below the refused limit
    refuse(limiter)  # the probe was refused: back to 4, and another interval to wait
    assert limiter.limit == 4
    succeed(limiter, 200)
    assert limiter.limit == 4


def test_a_cap_that_went_up_is_found_past_the_probe() -> None:
    now = 0.0
    limiter = ConcurrencyLimiter(5, maximum=64, adaptive=True, clock=lambda: now)
    limiter._slow_start = False
    refuse(limiter, admitted_with=5)
    assert limiter.limit == 4
    now += 1.0
    succeed(limiter, 200)  # the probe at 5 was accepted: the cap went up
    assert limiter.limit > 6


async def test_waiting_callers_ramp_up_before_any_call_returns() -> None:
    """No answer has come back (long latency), yet the window opens: the timed ramp."""
    limiter = ConcurrencyLimiter(1, maximum=10, adaptive=True, ramp_interval=0.001)
    release = asyncio.Event()

    async def call() -> None:
        async with limiter.slot() as slot:
            await release.wait()
            slot.success()

    tasks = [asyncio.create_task(call()) for _ in range(15)]
    async with asyncio.timeout(10):  # a hang guard, not a timing assertion
        while limiter.in_flight < 10:
            await asyncio.sleep(0.001)
    assert limiter.limit == 10
    assert limiter.waiting == 5
    release.set()
    await asyncio.gather(*tasks)
    assert limiter.in_flight == 0
