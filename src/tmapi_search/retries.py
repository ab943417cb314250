"""TMAPI's retry table, run by stamina.

What is retried (`errors.is_retryable`): connection errors and timeouts, 417, 499,
500, 503, and a gateway's 502/504. Never: 422 (parameters), 439 (billing), any other
4xx, a malformed 200. The loop, the attempt counting and the sleeping are stamina's
(`stamina.retry_context` with a backoff hook); this module only decides *whether* and
*how long*:

- exponential backoff with full jitter on top: `0.5 s * 2**n` capped at 8 s
  (n = retries so far), plus up to 0.5 s of jitter;
- 503 (concurrency limit) and 429 (a gateway's rate limit) wait longer: `2 s * 2**n`
  capped at 30 s, plus up to 1 s;
- a `Retry-After` header (seconds or HTTP date) is honoured when present, capped at
  60 s;
- with the client's `deadline`, no retry starts whose wait would end past it.

How a caller observes retries (all three, pick what fits):

1. `on_retry=callback` on the client (or per call): called with a `RetryEvent`
   (attempt number that failed, max attempts, the exception, the delay before the
   next attempt, the operation) right before each backoff sleep;
2. a log record on the `tmapi_search` logger at INFO: ``retrying search_by_image
   after attempt 1/3 in 0.62s: ConcurrencyLimitError(...)``, with `extra` fields
   `tmapi_attempt`, `tmapi_max_attempts`, `tmapi_delay`, `tmapi_reason`;
3. the `attempts` attribute of the exception a call finally raises.

In tests, `stamina.set_testing(True, attempts=100, cap=True)` removes the sleeps
while keeping the client's own attempt limits (the `on_retry` events still carry the
delay the policy chose).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tmapi_search.errors import (
    APIStatusError,
    ConcurrencyLimitError,
    RateLimitError,
    TmapiError,
    is_retryable,
)

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "RETRY_AFTER_CAP",
    "RetryEvent",
    "RetryHook",
    "RetryState",
    "aretry_after_first",
    "backoff_delay",
    "parse_retry_after",
    "retry_after_first",
]

logger = logging.getLogger("tmapi_search")
T = TypeVar("T")

DEFAULT_MAX_RETRIES = 2
BASE_DELAY, MAX_DELAY, JITTER = 0.5, 8.0, 0.5
BASE_DELAY_503, MAX_DELAY_503, JITTER_503 = 2.0, 30.0, 1.0
RETRY_AFTER_CAP = 60.0


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One scheduled retry, as given to an `on_retry` hook.

    Attributes:
        operation: "search_by_image" or "convert_image_url".
        attempt: the number (1-based) of the attempt that just failed.
        max_attempts: `max_retries + 1` for this call.
        error: the exception of the failed attempt (a TmapiError; a
            ConcurrencyLimitError for a 503).
        delay: seconds the client waits before the next attempt.
    """

    operation: str
    attempt: int
    max_attempts: int
    error: TmapiError
    delay: float


RetryHook = Callable[[RetryEvent], object]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def backoff_delay(error: TmapiError, retries_so_far: int) -> float:
    """The wait before the next attempt after `error` (see the module docstring)."""
    retry_after = error.retry_after if isinstance(error, APIStatusError) else None
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_CAP)
    if isinstance(error, ConcurrencyLimitError | RateLimitError):
        base, cap, jitter = BASE_DELAY_503, MAX_DELAY_503, JITTER_503
    else:
        base, cap, jitter = BASE_DELAY, MAX_DELAY, JITTER
    delay: float = min(cap, base * 2.0**retries_so_far)
    return delay + random.uniform(0, jitter)  # noqa: S311


class RetryState:
    """Per-call state shared by the stamina loop and its backoff hook.

    Built per call (four attributes: cheap). The client makes attempt 1 itself and
    enters stamina's loop only after it failed, so a call that succeeds at once pays
    nothing for the retry machinery (stamina builds a tenacity policy per loop).
    """

    __slots__ = ("attempt", "deadline_at", "max_attempts", "on_retry", "operation")

    def __init__(self, operation: str, max_retries: int, on_retry: RetryHook | None) -> None:
        self.operation = operation
        self.max_attempts = max_retries + 1
        self.on_retry = on_retry
        self.attempt = 1  # the attempt being made (the first is always made)
        #: `time.monotonic()` by which the call must end (the client's `deadline`), or None
        self.deadline_at: float | None = None

    def start_attempt(self, number: int) -> None:
        """`on_attempt` of `retry_after_first`: the attempt being made."""
        self.attempt = number

    def backoff_hook(self, error: Exception) -> bool | float:
        """stamina's `on=`: False = raise now; a float = retry after that many seconds."""
        if not isinstance(error, TmapiError) or not is_retryable(error):
            return False
        if self.attempt >= self.max_attempts:
            return False
        delay = backoff_delay(error, self.attempt - 1)
        if self.deadline_at is not None and time.monotonic() + delay >= self.deadline_at:
            return False  # the wait alone would pass the call's deadline
        logger.info(
            "retrying %s after attempt %d/%d in %.2fs: %r",
            self.operation,
            self.attempt,
            self.max_attempts,
            delay,
            error,
            extra={
                "tmapi_attempt": self.attempt,
                "tmapi_max_attempts": self.max_attempts,
                "tmapi_delay": delay,
                "tmapi_reason": type(error).__name__,
            },
        )
        if self.on_retry is not None:
            self.on_retry(
                RetryEvent(
                    operation=self.operation,
                    attempt=self.attempt,
                    max_attempts=self.max_attempts,
                    error=error,
                    delay=delay,
                )
            )
        return delay


def retry_after_first(
    first: Exception,
    again: Callable[[], T],
    *,
    on: Callable[[Exception], bool | float],
    attempts: int | None,
    on_attempt: Callable[[int], None] | None = None,
    **options: Any,
) -> T:
    """Attempts 2.. of a call whose attempt 1 (made outside stamina) raised `first`.

    stamina's loop is entered only once a call failed (it builds a tenacity policy per
    loop: too dear for every call); `first` is fed to it as its attempt 1, so the hook
    `on`, the budget `attempts` and the waits decide exactly as if stamina had made that
    attempt itself. `on_attempt(n)` runs at the start of each attempt; `options` go to
    `stamina.retry_context` (e.g. `wait_jitter`).
    """
    import stamina  # only a call that failed pays for importing it

    pending: Exception | None = first
    for attempt in stamina.retry_context(on=on, attempts=attempts, timeout=None, **options):
        with attempt:
            if on_attempt is not None:
                on_attempt(attempt.num)
            if pending is not None:  # attempt 1, already made: stamina decides on it
                error, pending = pending, None
                raise error
            return again()
    raise AssertionError("unreachable: stamina returns or raises")  # pragma: no cover


async def aretry_after_first(
    first: Exception,
    again: Callable[[], Awaitable[T]],
    *,
    on: Callable[[Exception], bool | float],
    attempts: int | None,
    on_attempt: Callable[[int], None] | None = None,
    **options: Any,
) -> T:
    """`retry_after_first` for a coroutine: stamina's async loop."""
    import stamina  # only a call that failed pays for importing it

    pending: Exception | None = first
    async for attempt in stamina.retry_context(on=on, attempts=attempts, timeout=None, **options):
        with attempt:
            if on_attempt is not None:
                on_attempt(attempt.num)
            if pending is not None:  # attempt 1, already made: stamina decides on it
                error, pending = pending, None
                raise error
            return await again()
    raise AssertionError("unreachable: stamina returns or raises")  # pragma: no cover
