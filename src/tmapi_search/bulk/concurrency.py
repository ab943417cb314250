"""How many calls a bulk run keeps in flight: fixed, or adaptive (AIMD).

TMAPI caps the calls an account may have in flight and answers 503
(`ConcurrencyLimitError`) above the cap; the cap is not published and differs by plan.
`ConcurrencyLimiter(adaptive=True)` finds it without being told, the way TCP finds a
link's capacity:

- slow start: from `initial` (the bulk runner starts at 4), the limit grows by one per
  successful call (doubling per round trip) until the first 503;
- additive increase: afterwards it grows by `increase / limit` per successful call,
  about `increase` per round trip of a full window;
- multiplicative decrease: a 503 multiplies the limit by `decrease` (never below
  `minimum`). The 503s of calls that were started before that decrease belong to the
  same overshoot and do not decrease it again;
- near the limit that last drew a 503, the increase is `caution` times slower: the
  cap is probed again, but less often (fewer refused calls, same throughput);
- the limit never exceeds `maximum` (`--max-concurrency`), and it only grows while the
  window is actually used (a run with little left to do does not inflate it).

`adaptive=False` is a plain semaphore of `initial` slots. The limiter knows nothing of
HTTP: the caller reports each call's outcome on its `Slot`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["ConcurrencyLimiter", "Slot"]


class Slot:
    """One call in flight. Report its outcome with `success()` or `overloaded()`."""

    __slots__ = ("_limiter", "_outcome", "epoch", "saturated")

    def __init__(self, limiter: ConcurrencyLimiter, epoch: int, saturated: bool) -> None:
        self._limiter = limiter
        self._outcome: str | None = None
        self.epoch = epoch
        self.saturated = saturated

    def success(self) -> None:
        """The call got an answer that was not a 503."""
        self._outcome = "success"

    def overloaded(self) -> None:
        """The call was refused for concurrency (503)."""
        self._outcome = "overloaded"


class ConcurrencyLimiter:
    """An async limit on calls in flight; adaptive (AIMD) or fixed."""

    def __init__(
        self,
        initial: int,
        *,
        maximum: int | None = None,
        adaptive: bool = False,
        minimum: int = 1,
        increase: float = 1.0,
        decrease: float = 0.9,
        caution: float = 4.0,
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
        self.caution = caution
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
    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Wait for room, hold one slot for the body, then apply the reported outcome."""
        async with self._condition:
            self._waiting += 1
            try:
                await self._condition.wait_for(lambda: self._in_flight < self.limit)
            finally:
                self._waiting -= 1
            self._in_flight += 1
            slot = Slot(self, self._epoch, saturated=self._in_flight >= self.limit)
        try:
            yield slot
        finally:
            async with self._condition:
                self._in_flight -= 1
                # calls waiting for a slot mean the limit, not the work, is the bottleneck
                slot.saturated = slot.saturated or self._waiting > 0
                self._apply(slot)
                self._condition.notify_all()

    # -- the AIMD rule (synchronous; also used directly by unit tests) ---------------
    def record(self, slot: Slot) -> None:
        """Apply a slot's outcome outside `slot()` (for tests and simulations)."""
        self._apply(slot)

    def _apply(self, slot: Slot) -> None:
        if not self.adaptive or slot._outcome is None:
            return
        if slot._outcome == "overloaded":
            if slot.epoch == self._epoch:  # first 503 of this overshoot
                self._ceiling = self.limit
                self._limit = max(float(self.minimum), self._limit * self.decrease)
                self._slow_start = False
                self._epoch += 1
                self.decreases += 1
            return
        if not slot.saturated or self._limit >= self.maximum:
            return
        step = 1.0 if self._slow_start else self.increase / max(self._limit, 1.0)
        if self._ceiling is not None and math.floor(self._limit) + 1 == self._ceiling:
            step /= self.caution  # the next step is the limit that drew the last 503
        self._limit = min(float(self.maximum), self._limit + step)
        self.peak = max(self.peak, self.limit)

    def new_slot(self, *, saturated: bool = True) -> Slot:
        """A slot of the current epoch without waiting (for tests and simulations)."""
        return Slot(self, self._epoch, saturated)
