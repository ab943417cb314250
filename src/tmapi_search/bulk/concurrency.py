"""How many calls a bulk run keeps in flight: fixed, or adaptive ("auto").

TMAPI caps the calls an account may have in flight and answers 503
(`ConcurrencyLimitError`) above the cap; the cap is not published, differs by plan,
and what is left of it for this run changes when other clients of the same account
start or stop. A refused call is answered at once and is not lost: the runner puts it
back in line without waiting. `ConcurrencyLimiter(adaptive=True)` finds the cap
without being told:

- start: from `initial` (the bulk runner starts at 4), in slow start. The limit grows
  by one per successful call (doubling per round trip), and also by one after each
  `ramp_interval` (25 ms) in which calls waited for a slot and no answer came back.
  The second rule makes the climb take about `cap x 25 ms` whatever the latency: with
  2 s per call, growing only as answers come back would need four round trips (8 s)
  to go from 4 to 50. With short latencies answers come back more often than every
  25 ms and the timed rule stays idle; when the process is short of CPU (the waiter
  wakes late, answers may be unread) it skips the step.
- decrease: a 503 sets the limit to what the server evidently accepted: the calls of
  ours that were in flight when the refused one was admitted, less one for the
  refused call itself (never above `limit - 1`, never below `limit * decrease`, never
  below `minimum`). Slow start ends. The 503s of calls admitted before a decrease
  belong to the same overshoot and do not decrease it again; calls admitted after it
  do, so a cap that drops (8 -> 4) is followed within a few refusals, each answered
  at once.
- increase: after slow start, additive: `increase / limit` per successful call, about
  `increase` per round trip of a full window. It only grows while the window is used
  (calls waiting, or all slots taken), so a run with little left to do does not
  inflate it.
- probe: the step onto the limit that drew the last 503 is `caution` times slower
  (4x), and not taken before `probe_interval` (1 s) has passed since that 503: the cap
  is tried again every few round trips but at most about once a second, which costs
  one refused call each time and finds a cap that went up. (At 50 ms a call, "every
  few round trips" alone was a refused call every ~0.2 s: ~5 % of all calls.)
- the limit never exceeds `maximum` (`--max-concurrency`).

`adaptive=False` is a plain semaphore of `initial` slots. The limiter knows nothing of
HTTP: the caller reports each call's outcome on its `Slot`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

__all__ = ["ConcurrencyLimiter", "Slot"]


class Slot:
    """One call in flight. Report its outcome with `success()` or `overloaded()`."""

    __slots__ = ("_limiter", "_outcome", "admitted_with", "epoch", "saturated")

    def __init__(
        self, limiter: ConcurrencyLimiter, epoch: int, saturated: bool, admitted_with: int
    ) -> None:
        self._limiter = limiter
        self._outcome: str | None = None
        self.epoch = epoch
        self.saturated = saturated
        #: Calls of ours in flight when this one was admitted, itself included.
        self.admitted_with = admitted_with

    def success(self) -> None:
        """The call got an answer that was not a 503."""
        self._outcome = "success"

    def overloaded(self) -> None:
        """The call was refused for concurrency (503)."""
        self._outcome = "overloaded"


class ConcurrencyLimiter:
    """An async limit on calls in flight; adaptive or fixed. See the module docstring."""

    def __init__(
        self,
        initial: int,
        *,
        maximum: int | None = None,
        adaptive: bool = False,
        minimum: int = 1,
        increase: float = 1.0,
        decrease: float = 0.5,
        caution: float = 4.0,
        ramp_interval: float = 0.025,
        probe_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        maximum = initial if maximum is None else maximum
        if minimum < 1:
            raise ValueError(f"minimum: must be >= 1, got {minimum}")
        if not minimum <= initial <= maximum:
            raise ValueError(
                f"initial: must be between minimum ({minimum}) and maximum ({maximum}), "
                f"got {initial}"
            )
        if increase <= 0:
            raise ValueError(f"increase: must be > 0, got {increase}")
        if not 0 < decrease < 1:
            raise ValueError(f"decrease: must be between 0 and 1 (exclusive), got {decrease}")
        if caution < 1:
            raise ValueError(f"caution: must be >= 1, got {caution}")
        if ramp_interval < 0:
            raise ValueError(f"ramp_interval: must be >= 0 (0: no timed ramp), got {ramp_interval}")
        if probe_interval < 0:
            raise ValueError(f"probe_interval: must be >= 0, got {probe_interval}")
        self.caution = caution
        self.probe_interval = probe_interval
        self._refused_at = 0.0
        self.ramp_interval = ramp_interval
        self._clock = clock
        self._ceiling: int | None = None
        self.adaptive = adaptive
        self.minimum = minimum
        self.maximum = maximum
        self.increase = increase
        self.decrease = decrease
        self._limit = float(initial)
        self._slow_start = adaptive
        self._epoch = 0
        self._in_flight = 0
        self._waiting = 0
        self._ticking = False
        self._last_ramp = clock()
        self._condition = asyncio.Condition()
        #: How many times the limit was decreased (503s that counted).
        self.decreases = 0
        #: The highest limit reached.
        self.peak = initial

    # -- state -------------------------------------------------------------------
    @property
    def limit(self) -> int:
        """The number of calls allowed in flight now."""
        return max(self.minimum, min(self.maximum, math.floor(self._limit)))

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def slow_start(self) -> bool:
        return self._slow_start

    def __repr__(self) -> str:
        mode = "adaptive" if self.adaptive else "fixed"
        return (
            f"ConcurrencyLimiter({mode}, limit={self.limit}, in_flight={self._in_flight}, "
            f"maximum={self.maximum})"
        )

    # -- acquiring ---------------------------------------------------------------
    def _ramping(self) -> bool:
        return (
            self._slow_start
            and self.ramp_interval > 0
            and self._limit < self.maximum
            and self._waiting > 0
        )

    def ramp(self) -> bool:
        """The timed slow-start step: +1 if `ramp_interval` passed since the last one.

        Called by a waiting caller (and directly by tests); True if the limit grew.
        """
        now = self._clock()
        due = self._last_ramp + self.ramp_interval
        if not self._ramping() or now < due:
            return False
        self._last_ramp = now
        if now - due > self.ramp_interval:
            # woken late: the event loop is starved of CPU, and answers (refusals among
            # them) may be waiting unread in the sockets; growing now would overshoot
            return False
        self._limit = min(float(self.maximum), math.floor(self._limit) + 1.0)
        self.peak = max(self.peak, self.limit)
        return True

    async def _wait_for_room(self) -> None:
        """Wait (holding the condition) until a slot is free; one waiter runs the ramp."""
        while self._in_flight >= self.limit:
            if self._ramping() and not self._ticking:
                self._ticking = True
                try:
                    delay = max(0.0, self._last_ramp + self.ramp_interval - self._clock())
                    # asyncio.timeout, not wait_for: Python 3.11's wait_for runs the wait
                    # as another task and can swallow a cancel that comes as the timeout
                    # fires (the worker then never stops: a bulk run that ignores SIGTERM)
                    with suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await self._condition.wait()
                    if self.ramp():
                        self._condition.notify(1)  # the new slot (this waiter may take it)
                finally:
                    self._ticking = False
            else:
                await self._condition.wait()
        if self._waiting > 1 and self._ramping():
            self._condition.notify(1)  # another waiter takes over the ramp

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Wait for room, hold one slot for the body, then apply the reported outcome."""
        async with self._condition:
            self._waiting += 1
            try:
                await self._wait_for_room()
            finally:
                self._waiting -= 1
            self._in_flight += 1
            slot = Slot(
                self,
                self._epoch,
                saturated=self._in_flight >= self.limit,
                admitted_with=self._in_flight,
            )
        try:
            yield slot
        finally:
            async with self._condition:
                self._in_flight -= 1
                # calls waiting for a slot mean the limit, not the work, is the bottleneck
                slot.saturated = slot.saturated or self._waiting > 0
                self._apply(slot)
                # wake as many waiters as there are free slots, not all of them (with
                # 100+ workers waiting, notify_all cost more CPU than the calls)
                self._condition.notify(max(1, self.limit - self._in_flight))

    # -- the rules (synchronous; also used directly by unit tests) ------------------
    def record(self, slot: Slot) -> None:
        """Apply a slot's outcome outside `slot()` (for tests and simulations)."""
        self._apply(slot)

    def _apply(self, slot: Slot) -> None:
        if not self.adaptive or slot._outcome is None:
            return
        # an answer (or refusal) just came back: the timed ramp waits a full interval
        # again, so with short latencies growth stays clocked by the answers alone
        self._last_ramp = self._clock()
        if slot._outcome == "overloaded":
            if slot.epoch == self._epoch:  # first 503 of this overshoot
                self._ceiling = self.limit
                self._refused_at = self._clock()
                accepted = slot.admitted_with - 1  # the others the server had taken
                new = min(self._limit - 1.0, float(accepted))
                self._limit = max(float(self.minimum), self._limit * self.decrease, new)
                self._slow_start = False
                self._epoch += 1
                self.decreases += 1
            return
        if not slot.saturated or self._limit >= self.maximum:
            return
        step = 1.0 if self._slow_start else self.increase / max(self._limit, 1.0)
        if self._ceiling is not None and math.floor(self._limit) + 1 == self._ceiling:
            step /= self.caution  # the next step is the limit that drew the last 503
            if self._clock() - self._refused_at < self.probe_interval:
                # not yet: stay just below it (the probe comes once the interval passed)
                step = min(step, max(0.0, self._ceiling - 0.001 - self._limit))
        self._limit = min(float(self.maximum), self._limit + step)
        self.peak = max(self.peak, self.limit)

    def new_slot(self, *, saturated: bool = True, admitted_with: int | None = None) -> Slot:
        """A slot of the current epoch without waiting (for tests and simulations).

        `admitted_with` defaults to the current limit (a full window).
        """
        return Slot(self, self._epoch, saturated, admitted_with or self.limit)
