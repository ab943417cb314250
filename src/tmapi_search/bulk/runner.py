"""The resumable bulk runner behind `tmapi-search bulk`.

Searches every image of an input through one `AsyncTmapiClient`, keeping the results
in a `Store` (SQLite): each finished image is one transaction, so a run can be stopped
at any moment -- Ctrl-C, SIGTERM, a 439, even SIGKILL -- and the same command resumes
it: done images are skipped, failed transient ones are tried again, nothing is stored
twice.

How calls are made:

- Every HTTP call (a conversion, each page) takes a slot of a `ConcurrencyLimiter`:
  a fixed number (`concurrency=N`) or adaptive AIMD (`concurrency=None`, "auto")
  bounded by `max_concurrency`.
- The client is called with `max_retries=0`, and the runner retries per call with
  stamina (which takes over once a call failed; the first attempt is made directly),
  outside the slot (a call waiting for its retry does not hold a slot; other
  images use it meanwhile). The waits are the client's policy
  (`tmapi_search.retries.backoff_delay`: exponential with jitter, longer for 503,
  `Retry-After` honoured), and `max_retries` counts retries per call as in the client.
  In auto mode a 503 is the limiter's signal: the limit is decreased and the call goes
  back in line at once, with its own budget (`max_retries + 10` refusals) that is not
  taken from `max_retries`.
- A call's request is checked and built before it waits for a slot (the SDK's checks,
  the query, httpx's Request: `AsyncTmapiClient._search_sender`); only the send and
  the parse of its answer hold the slot, so a call given a freed slot goes out at once.
- The slot is released as soon as the answer is read, and the image is saved before
  anything else runs: no request leaves while an answer is unsaved (what a SIGKILL can
  cost stays the calls in flight; checked in tests/bulk/test_runner_order.py). The
  image counts done only once saved; a failed save stops the run.
- Converted paths age (field reports: a new path per conversion, valid for at least ~70
  minutes; nothing documented): a stored path older than `converted_ttl` (default 60
  minutes; one stored without a time counts as old) is not reused, the image is
  converted again; a search that answers 422 for a converted path reconverts it once
  and retries that call once. With `api="v2"` every image that is not a converted
  path is converted (for v2), and pages stop at `has_next_page: false`.
- A non-Alibaba image is converted first, and the converted path is committed at once,
  so a rerun never pays for the same conversion twice. Pages of one image are fetched
  as `iter_search_by_image` does (stop at `total_count`, at an empty page, at
  `max_items_per_image`), and a retry resumes at the failed page.
- Each page but the last is stored (`Store.save_page`, with the page to ask for next)
  before the next one is asked for; a failed save stops the run like any save. So an
  image whose search stops between pages -- the run stops, a later page fails or gets
  no answer -- keeps the pages paid for, and the next run (or `--retry-failed`) asks
  only for the pages after them (`_resume`: the pages stored for the image's URL, on
  any row sharing it, move to the row that resumes the search). Pages stored with other
  search parameters are refused before any call (`ParamsMismatchError`).

How a run ends:

- 439 (`SubscriptionError`) or an auth refusal (401/403) stops the run at once: no new
  call starts, the images it hit stay pending (the billing state is not theirs), the
  summary says what to do;
- 422 and any other non-transient error marks that one image failed (with the error's
  class and message) and the run goes on; transient errors left after the retries mark
  it failed-transient, and a rerun tries it again;
- `stop()` (the CLI calls it on SIGINT/SIGTERM): no new call starts, calls in flight
  get `grace` seconds to finish and be committed, then are abandoned (left pending).
- Storage failure (a full disk, an I/O error, the database locked past its timeout):
  the first failed write stops the run at once ("storage"): no new paid call starts,
  calls in flight finish and are saved if they still can be.
- A dead API: after `max_connection_failures` calls in a row that got no answer at all
  (connection refused or cut, timeout) with no answer in between, the run stops
  ("network"). An image whose call got no answer is never marked failed: it stays
  pending (with the error noted), so the next run searches it.

Where the rows come from: a list (`Store.images_to_do`), or a `PendingFeed` that pages
the rows to search out of the database while the catalogue is still being read (the
CLI stores it batch by batch meanwhile); a feeder hands them to the workers through a
small queue, so memory stays flat whatever the catalogue size.

Paying once per image: rows with the same normalised image URL (`Store` keeps it as
`url_key`; the search parameters are the database's) share one search -- one paid call,
the items saved for each row in one transaction. A row whose URL is queued or in flight
in this run joins that search (whenever it is read); a row whose URL an earlier search
already settled (done, or failed for good) is served from it without a call, as is one
whose URL's search ended unsettled in this run (failed transiently, or no answer: it
shares that end); a converted path is reused by every row with the same URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tmapi_client.models import SearchData, SearchDataV2

from tmapi_search.auth import redact
from tmapi_search.bulk.concurrency import ConcurrencyLimiter
from tmapi_search.bulk.drift import DriftRecorder
from tmapi_search.bulk.store import ImageRecord, Store, normalise_url
from tmapi_search.client import AsyncTmapiClient
from tmapi_search.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    ConcurrencyLimitError,
    MalformedResponseError,
    ParameterError,
    RateLimitError,
    SubscriptionError,
    TmapiError,
    is_retryable,
)
from tmapi_search.images import V2_SEARCH_API_ENDPOINT, ConvertMode, needs_conversion
from tmapi_search.retries import aretry_after_first, backoff_delay

__all__ = [
    "AUTH_STATUSES",
    "CONVERTED_TTL",
    "BulkRunner",
    "BulkSettings",
    "BulkStats",
    "ListSource",
    "PendingFeed",
    "RunOutcome",
    "WorkSource",
]
#: One call of an image, in two steps: `prepare(image)` checks and builds the request
#: (before a slot is taken), the function it returns sends it (under the slot).
_Prepare = Callable[["_Image"], Callable[[], Awaitable[Any]]]
#: Seconds a stored converted path is reused (field reports: valid >= ~70 min).
CONVERTED_TTL = 60 * 60.0

logger = logging.getLogger("tmapi_search.bulk.runner")

RunOutcome = Literal[
    "completed", "billing", "auth", "interrupted", "storage", "network", "error", "budget"
]
#: HTTP statuses that mean the token itself is refused: stop the run like a 439.
AUTH_STATUSES = frozenset({401, 403})
#: In auto mode, how many 503 refusals one call may take beyond `max_retries`.
EXTRA_503_BUDGET = 10


@dataclass(frozen=True, slots=True)
class BulkSettings:
    """What to search for each image, and how hard to push."""

    search: dict[str, Any] = field(default_factory=dict)
    """page_size, language, sort and the five boolean filters (None = not sent)."""
    max_items_per_image: int = 20
    concurrency: int | None = None
    """A fixed number of calls in flight, or None for adaptive ("auto")."""
    max_concurrency: int = 64
    initial_concurrency: int = 4
    max_retries: int = 2
    convert: ConvertMode = "auto"
    retry_failed: bool = False
    grace: float = 10.0
    """Seconds calls in flight may take to finish after `stop()`."""
    max_connection_failures: int | None = None
    """Calls in a row without an answer (refused, cut, timed out) that stop the run.

    None: twice the calls allowed in flight (the fixed concurrency, or auto's current
    limit), at least 2."""
    api: Literal["v1", "v2"] = "v1"
    """Which image search: v1, or v2 (converted paths only; `search` may hold prices)."""
    converted_ttl: float = CONVERTED_TTL
    """Seconds a stored converted path is reused before the image is converted again."""
    max_calls: int | None = None
    """Paid calls (searches and conversions, retries included) this run makes at most:
    the call that would pass it is not sent, the run stops (`budget`) as `stop()` does,
    everything answered is saved, and the next run resumes. None: no cap."""


@dataclass(slots=True)
class BulkStats:
    """Live counters of a run (read by the progress display)."""

    total: int = 0
    done: int = 0
    failed: int = 0
    retrying: int = 0
    in_flight: int = 0
    items: int = 0
    calls: int = 0
    refused_503: int = 0
    limit: int = 0
    shared: int = 0
    """Rows served by another row's search (same image URL): no call of their own."""
    left_pending: int = 0
    """Rows left pending because their call got no answer (connection, timeout), or an
    answer that could not be used (`unusable`)."""
    unusable: int = 0
    """Of `left_pending`: rows whose answer could not be used (unreadable, too large,
    429 after the retries)."""
    pending_errors: dict[str, int] = field(default_factory=dict)
    """Rows left pending by this run, by the class of the error that left them so."""
    repeats_stopped: int = 0
    """Images whose paging stopped at a page that brought no offer not seen already for
    the image (the API repeating itself): no further page paid for."""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Images finished per second."""
        return (self.done + self.failed) / self.elapsed if self.elapsed > 0 else 0.0


class _StopRun(Exception):
    """Raised inside an image's work when the whole run must stop."""


@dataclass(slots=True)
class _Image:
    record: ImageRecord
    url: str
    followers: list[ImageRecord] = field(default_factory=list)
    #: the items of the page just in, not stored yet (SearchItem or SearchItemV2)
    items: list[Any] = field(default_factory=list)
    #: items stored by earlier pages (this run's or an earlier run's): positions 0..stored-1
    stored: int = 0
    total_count: int | None = None
    #: the page to ask for next
    page: int = 1
    #: the offers (`item_id`) taken so far for this image: a page repeating them is not
    #: stored again, and one that brings none new ends the paging
    seen_ids: set[Any] = field(default_factory=set)
    attempts: int = 0
    #: of `attempts`, those already counted in the database (with a stored page)
    attempts_saved: int = 0
    in_call: bool = False
    #: waiting for a slot of the limiter: never cancelled by `stop()` (see `_cancel_once`);
    #: the slots freed by the calls in flight wake it, and it stops by itself
    in_limiter: bool = False
    url_key: str = ""

    def ids(self) -> list[int]:
        """This search's row and the rows sharing it (followers join while it runs)."""
        return [self.record.id, *(other.id for other in self.followers)]

    def new_attempts(self) -> int:
        """The attempts not counted in the database yet (and count them as saved now)."""
        new, self.attempts_saved = self.attempts - self.attempts_saved, self.attempts
        return new


class WorkSource(Protocol):
    """Where a run's rows come from, page by page (`ListSource`, `PendingFeed`)."""

    async def next_page(self) -> list[ImageRecord] | None:
        """The next rows to search, in input order; None when there are no more."""
        ...


class ListSource:
    """A list of rows known up front (`Store.images_to_do`): one page."""

    def __init__(self, images: Sequence[ImageRecord]) -> None:
        self._images: list[ImageRecord] | None = list(images)

    async def next_page(self) -> list[ImageRecord] | None:
        page, self._images = self._images, None
        return page or None


class PendingFeed:
    """The rows of a catalogue reading that a run must search, paged out of the database.

    Follows `Store.pending_page` (a partial index, a cursor on the line) while the
    catalogue is still being read: when it has caught up with the reading it waits
    for the next batch (`notify()`), and ends once the reading is over (`close()`).
    Only one page is held at a time, so memory stays flat whatever the catalogue size.
    """

    def __init__(
        self, store: Store, ingestion: int, *, retry_failed: bool = False, page: int = 500
    ) -> None:
        self.store = store
        self.ingestion = ingestion
        self.retry_failed = retry_failed
        self.page = page
        self.after_line = 0
        self.reading = True
        self._more = asyncio.Event()

    def notify(self) -> None:
        """A batch of the catalogue was stored."""
        self._more.set()

    def close(self) -> None:
        """The reading is over (read to its end, or stopped): no more rows will come."""
        self.reading = False
        self._more.set()

    async def next_page(self) -> list[ImageRecord] | None:
        while True:
            reading = self.reading  # rows stored before this point are all visible below
            self._more.clear()
            page = self.store.pending_page(
                self.ingestion, self.after_line, self.page, retry_failed=self.retry_failed
            )
            if page:
                self.after_line = page[-1].line
                return page
            if not reading:
                return None
            await self._more.wait()


class BulkRunner:
    """Run the images of a Store through one AsyncTmapiClient. See the module docstring."""

    def __init__(
        self,
        client: AsyncTmapiClient,
        store: Store,
        settings: BulkSettings,
        *,
        on_change: Callable[[BulkStats], object] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.settings = settings
        self.on_change = on_change
        adaptive = settings.concurrency is None
        if adaptive:
            initial = min(settings.initial_concurrency, settings.max_concurrency)
            self.limiter = ConcurrencyLimiter(
                initial, maximum=settings.max_concurrency, adaptive=True
            )
        else:
            assert settings.concurrency is not None
            self.limiter = ConcurrencyLimiter(settings.concurrency)
        self.stats = BulkStats()
        self.outcome: RunOutcome = "completed"
        self.stop_reason: str | None = None
        self.run_id: int | None = None
        self.storage_error: sqlite3.Error | None = None
        self._no_answer = 0
        self._stopping = asyncio.Event()
        self._current: dict[asyncio.Task[None], _Image | None] = {}
        #: image URL -> its search queued or in flight in this run (rows join it)
        self._live: dict[str, _Image] = {}
        #: image URL -> the row whose search ended unsettled in this run (failed, or
        #: -1: left pending): a later row with the URL shares that end, with no call
        self._ended: dict[str, int] = {}
        #: the search parameters stored with each page (`Store.check_page_params`)
        self._page_params = ""
        #: the database holds pages of unfinished searches (looked up per image)
        self._resumable = False

    # -- control -----------------------------------------------------------------------
    def stop(self, outcome: RunOutcome = "interrupted", reason: str | None = None) -> None:
        """Start no new call; abandon images waiting for a retry; let calls in flight end."""
        if not self._stopping.is_set():
            self.outcome = outcome
            self.stop_reason = reason
            self._stopping.set()
        current = asyncio.current_task()
        for task, image in self._current.items():
            if task is not current and (image is None or not (image.in_call or image.in_limiter)):
                _cancel_once(task)
        self._changed()

    def abandon(self) -> None:
        """Stop at once: abandon calls in flight too (their images stay pending)."""
        self.stop()
        current = asyncio.current_task()
        for task in self._current:
            if task is not current:
                _cancel_once(task)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _storage_failed(self, error: sqlite3.Error) -> None:
        """The first failed write stops the spending: no new paid call starts."""
        if self.storage_error is None:
            self.storage_error = error
            self.stop()
            self.outcome = "storage"
            self.stop_reason = (
                f"cannot save results to {self.store.path}: {error}; "
                "stopped before any further paid call"
            )
            self._changed()

    def storage_failed(self, error: sqlite3.Error) -> None:
        """A write outside the runner (the catalogue reading) failed: stop the spending."""
        logger.error("bulk: cannot save to %s: %s", self.store.path, error)
        self._storage_failed(error)

    def _save(self, write: Callable[..., None], *args: Any, **kwargs: Any) -> bool:
        """A write to the Store; False (and the run stops) when it failed."""
        try:
            write(*args, **kwargs)
        except sqlite3.Error as error:
            logger.error("bulk: cannot save to %s: %s", self.store.path, error)
            self._storage_failed(error)
            return False
        return True

    def _failure_limit(self) -> int:
        if self.settings.max_connection_failures is not None:
            return max(1, self.settings.max_connection_failures)
        return max(2, 2 * self.limiter.limit)

    def _answered(self, error: BaseException | None) -> None:
        """Count calls in a row without an answer; stop the run when the API looks dead."""
        if not isinstance(error, APIConnectionError):
            self._no_answer = 0
            return
        self._no_answer += 1
        limit = self._failure_limit()
        if self._no_answer >= limit and not self.stopping:
            self.stop(
                "network",
                f"TMAPI could not be reached: {self._no_answer} calls in a row got no answer "
                f"(last: {type(error).__name__}: {_describe(error)}); the images not searched "
                "stay pending. Check the network and --base-url, then run the same command "
                "again to resume.",
            )

    def _over_budget(self) -> bool:
        """True (and the run stops) when one more call would pass `max_calls`."""
        cap = self.settings.max_calls
        if cap is None or self.stats.calls < cap:
            return False
        self.stop(
            "budget",
            f"--max-calls {cap} reached: {self.stats.calls} paid call(s) made this run, "
            "everything answered is saved",
        )
        return True

    def _changed(self) -> None:
        self.stats.in_flight = self.limiter.in_flight
        self.stats.limit = self.limiter.limit
        if self.on_change is not None:
            self.on_change(self.stats)

    # -- the run ---------------------------------------------------------------------
    async def run(self, images: Sequence[ImageRecord] | WorkSource, run_id: int) -> BulkStats:
        """Search `images`; returns the final stats.

        ParamsMismatchError (before any call) when the database holds pages of
        unfinished images fetched with other search parameters (`Store.check_page_params`).

        `images`: a list (as `Store.images_to_do` returns it), or a `WorkSource` that
        hands out pages while the catalogue is still being read (`PendingFeed`). The
        workers start on the first page; only a few pages are held at a time.
        """
        self.run_id = run_id
        self.stats = BulkStats(limit=self.limiter.limit)
        self._page_params = self._page_key()
        try:
            # stored pages of other search parameters are never mixed with this run's:
            # ParamsMismatchError before any call (as `Store.check_params` for a database)
            self.store.check_page_params(self._page_params)
            self._resumable = self.store.has_partial_pages()
        except sqlite3.Error as error:
            self._storage_failed(error)  # no call starts
        if isinstance(images, Sequence):
            workers = min(len(images), self.settings.max_concurrency * 2 + 4)
            source: WorkSource = ListSource(images)
        else:
            workers = self.settings.max_concurrency * 2 + 4
            source = images
        queue: asyncio.Queue[_Image | None] = asyncio.Queue(maxsize=max(workers, 1))
        tasks = [asyncio.create_task(self._worker(queue)) for _ in range(workers)]
        feeder = asyncio.create_task(self._feed(source, queue, workers))
        self._current = dict.fromkeys([feeder, *tasks])
        self._changed()
        stopper = asyncio.create_task(self._enforce_grace(tasks))
        # the WAL's checkpoints (and their fsync) on a thread of their own: not a pause
        # of every call in flight each ~50 saves
        # the contract drift of the answers, counted, and stored in `drift` at the end
        recorder = DriftRecorder(self.store.path, run_id)
        with recorder.installed(self.client), self.store.background_checkpoints():
            try:
                await asyncio.gather(feeder, *tasks, return_exceptions=True)
            finally:
                stopper.cancel()
                await _cancel_all([feeder, *tasks])
                await asyncio.gather(feeder, *tasks, stopper, return_exceptions=True)
                self.stats.finished = time.monotonic()
                self._changed()
        return self.stats

    async def _feed(self, source: WorkSource, queue: asyncio.Queue[_Image | None], n: int) -> None:
        """Hand the source's rows to the workers, one search per image URL in flight."""
        try:
            await self._feed_rows(source, queue)
        except Exception as error:  # not foreseen: stop the run, say why
            self._crashed(error, None)
        finally:
            if not self.stopping:
                for _ in range(n):
                    await queue.put(None)

    async def _feed_rows(self, source: WorkSource, queue: asyncio.Queue[_Image | None]) -> None:
        while not self.stopping:
            try:
                page = await source.next_page()
            except sqlite3.Error as error:  # the database cannot be read: stop
                self._storage_failed(error)
                return
            if page is None:
                break
            for count, record in enumerate(page, start=1):
                if self.stopping:
                    return
                image = self._dispatch(record)
                if image is not None:
                    await queue.put(image)
                elif count % 200 == 0:
                    await asyncio.sleep(0)  # rows served without a call: let calls run
            self._changed()

    def _dispatch(self, record: ImageRecord) -> _Image | None:
        """The work for one row: a new search, or none (joined or served: no new call)."""
        assert self.run_id is not None
        self.stats.total += 1
        url_key = record.url_key or normalise_url(record.img_url)
        live = self._live.get(url_key)
        if live is not None:  # the same image URL is queued or in flight: one call for both
            live.followers.append(record)
            return None
        ended = self._ended.get(url_key)
        if ended is not None:  # its search ended unsettled in this run: the same fate
            if ended < 0:
                self.stats.left_pending += 1
                return None
            try:
                source = self.store.image(ended)
            except sqlite3.Error as error:
                self._storage_failed(error)
                return None
            if self._save(self.store.copy_result, source, [record.id], self.run_id):
                self.stats.shared += 1
                self.stats.failed += 1
            return None
        try:
            settled = self.store.settled_for(url_key, retry_failed=self.settings.retry_failed)
        except sqlite3.Error as error:
            self._storage_failed(error)
            return None
        if settled is not None:  # an earlier search paid for this URL already
            if self._save(self.store.copy_result, settled, [record.id], self.run_id):
                self.stats.shared += 1
                if settled.status == "done":
                    self.stats.done += 1
                    self.stats.items += settled.item_count or 0
                else:
                    self.stats.failed += 1
            return None
        converted = record.converted_url if self._fresh(record) else None
        if converted is None:
            try:
                converted = self.store.converted_for(url_key, max_age=self.settings.converted_ttl)
            except sqlite3.Error as error:
                self._storage_failed(error)
                return None
        image = _Image(record, converted or record.img_url, url_key=url_key)
        self._live[url_key] = image
        return image

    def _resume(self, image: _Image) -> bool:
        """Continue a search whose first pages an earlier run stored; False: storage failed.

        The pages stored for the image's URL (its own row's, or another row's with the
        same URL: they move to this row, which resumes the search) are not asked for
        again: the search goes on at the first page not stored.
        """
        try:
            partial = self.store.partial_for(image.url_key, image.record.id)
        except sqlite3.Error as error:
            self._storage_failed(error)
            return False
        if partial is None:
            return True
        if partial.image_id != image.record.id and not self._save(
            self.store.take_pages, partial.image_id, image.record.id
        ):
            return False
        image.page = partial.next_page
        image.stored = partial.stored
        image.total_count = partial.total_count
        try:
            image.seen_ids = self.store.item_ids(image.record.id)
        except sqlite3.Error as error:
            self._storage_failed(error)
            return False
        logger.info(
            "bulk: line %d: %d item(s) stored by an earlier run, resuming at page %d",
            image.record.line,
            partial.stored,
            partial.next_page,
        )
        return True

    async def _enforce_grace(self, tasks: list[asyncio.Task[None]]) -> None:
        await self._stopping.wait()
        await asyncio.sleep(self.settings.grace)
        # the calls in flight first: their slots, freed, wake the tasks waiting for one
        images = self._current
        waiting = {task for task in tasks if (image := images.get(task)) and image.in_limiter}
        await _cancel_all([task for task in tasks if task not in waiting], wait=False)
        left = [task for task in tasks if not task.done()]
        if left:
            await asyncio.wait(left, timeout=2.0)
        await _cancel_all(tasks)

    async def _worker(self, queue: asyncio.Queue[_Image | None]) -> None:
        task = asyncio.current_task()
        assert task is not None
        while not self.stopping:
            image = await queue.get()
            if image is None:
                return
            self._current[task] = image
            try:
                await self._process(image)
            except _StopRun:
                return
            except Exception as error:  # a bug, or an answer no check foresaw: stop the run
                self._crashed(error, image)
                return
            finally:
                self._current[task] = None
                self._live.pop(image.url_key, None)

    async def _process(self, image: _Image) -> None:
        assert self.run_id is not None
        record = image.record
        if self._resumable and not self._resume(image):
            raise _StopRun()
        try:
            mode = True if self.settings.api == "v2" else self.settings.convert
            convert = needs_conversion(record.img_url, mode)
            if image.url == record.img_url and convert:
                await self._reconvert(image)
            elif (
                image.url != record.img_url
                and image.url != record.converted_url
                and not self._save(self.store.save_converted, image.ids(), image.url)
            ):  # a converted path paid for by another row with the same URL: keep it too
                raise _StopRun()
            reconverted = False
            # each page is stored before the next one is asked for (`_save_page`); the
            # last one is stored with the image's status (`save_done` below)
            while image.stored < self.settings.max_items_per_image:
                try:
                    data = await self._call(image, self._search_page)
                except ParameterError:
                    if not convert or reconverted:
                        raise
                    # 422 for a converted path: it may have expired early. Once.
                    reconverted = True
                    logger.info("bulk: line %d: 422 on a converted path, reconverting", record.line)
                    await self._reconvert(image)
                    continue
                if not self._take_page(image, data):
                    break
                if not self._save_page(image):
                    raise _StopRun()
        except _StopRun:
            raise
        except asyncio.CancelledError:
            raise  # abandoned: the image stays pending, redone by the next run
        except TmapiError as error:
            if self._stops_run(error):
                raise _StopRun() from error
            unusable = isinstance(error, MalformedResponseError | RateLimitError)
            if unusable or isinstance(error, APIConnectionError):
                # no answer (or none that can be used: unreadable, too large, 429) is never
                # the image's fault: it stays pending, the reason noted
                rows = len(image.ids())
                self._ended[image.url_key] = -1
                if image.attempts:
                    self._save(
                        self.store.save_pending_error,
                        image.ids(),
                        self.run_id,
                        error_class=type(error).__name__,
                        error_message=_describe(error),
                        attempts=image.new_attempts(),
                        calls=self.stats.calls,
                    )
                self.stats.left_pending += rows
                self.stats.unusable += rows if unusable else 0
                name = type(error).__name__
                self.stats.pending_errors[name] = self.stats.pending_errors.get(name, 0) + rows
                self._changed()
                return
            if self.stopping and is_retryable(error):
                raise _StopRun() from error  # not given its retries: leave it pending
            self._save_failed(image, type(error).__name__, _describe(error), is_retryable(error))
            return
        except ValueError as error:  # local validation of this row's URL
            self._save_failed(image, "ValueError", str(error), False)
            return
        self._save_done(image)

    def _save_done(self, image: _Image) -> None:
        assert self.run_id is not None
        shared = image.ids()[1:]
        rows = 1 + len(shared)
        saved = self._save(
            self.store.save_done,
            image.record.id,
            self.run_id,
            [item.to_dict() for item in image.items],
            total_count=image.total_count,
            attempts=image.new_attempts(),
            shared_with=shared,
            calls=self.stats.calls,
            first_position=image.stored,
        )
        if saved:
            self.stats.done += rows
            self.stats.shared += len(shared)
            self.stats.items += (image.stored + len(image.items)) * rows
        self._changed()

    def _save_page(self, image: _Image) -> bool:
        """Store the page just in (more are needed) with the page to ask for next.

        False when it could not be saved: the run stops (no next page is asked for).
        """
        assert self.run_id is not None
        items = image.items
        saved = self._save(
            self.store.save_page,
            image.record.id,
            self.run_id,
            [item.to_dict() for item in items],
            first_position=image.stored,
            next_page=image.page,
            page_params=self._page_params,
            total_count=image.total_count,
            attempts=image.new_attempts(),
            calls=self.stats.calls,
        )
        if saved:
            image.stored += len(items)
            image.items = []
        return saved

    def _save_failed(self, image: _Image, error_class: str, message: str, transient: bool) -> None:
        assert self.run_id is not None
        shared = image.ids()[1:]
        self._ended[image.url_key] = image.record.id
        saved = self._save(
            self.store.save_failed,
            image.record.id,
            self.run_id,
            error_class=error_class,
            error_message=message,
            transient=transient,
            attempts=image.new_attempts(),
            shared_with=shared,
            calls=self.stats.calls,
        )
        if saved:
            self.stats.failed += 1 + len(shared)
            self.stats.shared += len(shared)
        self._changed()

    def _fresh(self, record: ImageRecord) -> bool:
        """A stored converted path younger than the TTL (one without a time is old)."""
        if record.converted_url is None or record.converted_at is None:
            return False
        return time.time() - record.converted_at < self.settings.converted_ttl

    async def _reconvert(self, image: _Image) -> None:
        image.url = await self._call(image, self._convert)
        if not self._save(self.store.save_converted, image.ids(), image.url):
            raise _StopRun()

    def _crashed(self, error: Exception, image: _Image | None) -> None:
        """An exception no code path expected: stop the run at once (no new call starts;
        calls in flight end and are saved), the image left pending with the error."""
        where = f"line {image.record.line}" if image is not None else "reading the rows"
        text = redact(f"{type(error).__name__}: {error}")
        text = text if len(text) <= 300 else text[:297] + "..."
        logger.error("bulk: unexpected error at %s: %s", where, text)
        logger.debug("bulk: unexpected error at %s", where, exc_info=error)
        if image is not None and self.run_id is not None:
            self._ended[image.url_key] = -1
            self._save(
                self.store.save_pending_error,
                image.ids(),
                self.run_id,
                error_class=type(error).__name__,
                error_message=text,
                attempts=image.new_attempts(),
                calls=self.stats.calls,
            )
            self.stats.left_pending += len(image.ids())
            name = type(error).__name__
            self.stats.pending_errors[name] = self.stats.pending_errors.get(name, 0) + len(
                image.ids()
            )
        if self.outcome == "error" or self.outcome == "storage":
            return
        self.stop(
            "error",
            f"stopped by an unexpected error at {where} ({text}); the results paid for are "
            "saved, the rows not finished stay pending. Run the same command again to "
            "resume; if it happens again, run it with -vv and report the error.",
        )
        self.outcome = "error"

    def _stops_run(self, error: TmapiError) -> bool:
        if isinstance(error, SubscriptionError):
            self.stop(
                "billing",
                "TMAPI answered 439: subscription expired or insufficient balance. "
                "Top up or renew the plan, then run the same command again to resume.",
            )
            return True
        if isinstance(error, AuthenticationError) or (
            isinstance(error, APIStatusError) and error.status_code in AUTH_STATUSES
        ):
            self.stop(
                "auth",
                f"TMAPI refused the API token (HTTP {error.status_code}, code {error.code}: "
                f"{error.msg or '-'}). Check --api-token / TMAPI_TOKEN and --auth, then run "
                "the same command again to resume.",
            )
            return True
        return False

    # -- one image's calls ---------------------------------------------------------------
    def _page_size(self) -> int:
        size = int(self.settings.search.get("page_size", 20))
        return min(size, self.settings.max_items_per_image)

    def _page_key(self) -> str:
        """What a page's items depend on: the API, the page size and the search options.

        Stored with each page (`Store.save_page`); `max_items_per_image` is not part of
        it (a run that wants more items per image continues the same pages).
        """
        options = {k: v for k, v in self.settings.search.items() if k != "page_size"}
        key = {"api": self.settings.api, "page_size": self._page_size(), **options}
        return json.dumps(key, sort_keys=True, default=str)

    def _convert(self, image: _Image) -> Callable[[], Awaitable[str]]:
        endpoint = V2_SEARCH_API_ENDPOINT if self.settings.api == "v2" else "/global/search/image"
        return lambda: self.client.convert_image_url(
            image.record.img_url, search_api_endpoint=endpoint, max_retries=0
        )

    def _search_page(self, image: _Image) -> Callable[[], Awaitable[SearchData | SearchDataV2]]:
        """The image's next page: checked and built now, sent when awaited (`_one_call`)."""
        options = {k: v for k, v in self.settings.search.items() if k != "page_size"}
        if self.settings.api == "v2":
            return self.client._search_v2_sender(
                image.url, page=image.page, page_size=self._page_size(), **options
            )
        return self.client._search_sender(
            image.url, page=image.page, page_size=self._page_size(), **options
        )

    def _take_page(self, image: _Image, data: SearchData | SearchDataV2) -> bool:
        """Take a page's items (`image.items`, stored by the caller); True when another
        page is needed (as iter_search_by_image).

        An offer already taken for this image (same `item_id`) is not taken again; a page
        with offer ids none of which is new ends the paging (the API repeats itself:
        asking on would pay for the same offers again).
        """
        wanted = max(0, self.settings.max_items_per_image - image.stored)
        seen = image.seen_ids
        fresh = []
        ids = new = 0
        for item in data.items:
            item_id = getattr(item, "item_id", None)
            if isinstance(item_id, int | str) and not isinstance(item_id, bool):
                ids += 1
                if item_id in seen:
                    continue
                seen.add(item_id)
                new += 1
            fresh.append(item)
        image.items = fresh[:wanted]
        image.total_count = data.total_count
        if ids and not new:
            self.stats.repeats_stopped += 1
            logger.info(
                "bulk: line %d: page %d repeats offers already taken; no further page",
                image.record.line,
                image.page,
            )
            return False
        if not data.items or image.stored + len(image.items) >= self.settings.max_items_per_image:
            return False
        has_next = getattr(data, "has_next_page", None)
        if has_next is False:
            return False
        if has_next is not True and image.page * self._page_size() >= data.total_count:
            return False
        image.page += 1
        return True

    async def _call(self, image: _Image, call: _Prepare) -> Any:
        """One HTTP call of an image, under a slot, retried (outside the slot) by stamina.

        The first attempt is made directly: the happy path pays for no retry machinery.
        Once it failed, stamina takes over and decides on that first error exactly as if
        it had made the attempt itself (`_retry`): same hook, same budget, same waits.
        """
        if self.stopping:
            raise _StopRun()
        first: TmapiError | None = None
        try:
            return await self._one_call(image, call)
        except TmapiError as error:
            first = error
        # retried outside the except block: no `__context__` chain between attempts
        return await self._retry(image, call, first)

    async def _retry(self, image: _Image, call: _Prepare, first: TmapiError) -> Any:
        """Attempts 2.. of `_call` in stamina's loop; attempt 1 (`first`) is fed to it first."""
        adaptive = self.limiter.adaptive
        failures = 0
        refusals = 0
        waiting = False

        def backoff(error: Exception) -> bool | float:
            nonlocal failures, refusals, waiting
            if self.stopping or not isinstance(error, TmapiError) or not is_retryable(error):
                return False
            if adaptive and isinstance(error, ConcurrencyLimitError):
                refusals += 1
                if refusals > self.settings.max_retries + EXTRA_503_BUDGET:
                    return False
                delay = 0.0  # the limiter has slowed down already
            else:
                failures += 1
                if failures > self.settings.max_retries:
                    return False
                delay = backoff_delay(error, failures - 1)
            logger.info(
                "bulk: retrying line %d in %.2fs after %s",
                image.record.line,
                delay,
                type(error).__name__,
            )
            if not waiting:
                waiting = True
                self.stats.retrying += 1
                self._changed()
            return delay

        async def again() -> Any:
            nonlocal waiting
            if waiting:
                waiting = False
                self.stats.retrying -= 1
            if self.stopping:
                raise _StopRun()
            return await self._one_call(image, call)

        try:
            return await aretry_after_first(
                first, again, on=backoff, attempts=None, wait_jitter=0.0
            )
        finally:
            if waiting:
                self.stats.retrying -= 1
                self._changed()

    async def _one_call(self, image: _Image, call: _Prepare) -> Any:
        # the request is checked and built before the slot is taken (`call(image)`): only
        # its send holds the slot. `in_call` protects the image from `stop()` from the
        # moment its request may be sent until its slot is released (an answer that was
        # paid for is kept)
        send = call(image)
        try:
            image.in_limiter = True
            async with self.limiter.slot() as slot:  # its release runs the AIMD rule
                image.in_limiter = False
                if self.stopping:
                    raise _StopRun()
                if self._over_budget():
                    raise _StopRun()
                image.in_call = True
                image.attempts += 1
                self.stats.calls += 1
                self._changed()
                try:
                    result = await send()
                except ConcurrencyLimitError as error:
                    self._answered(error)
                    slot.overloaded()
                    self.stats.refused_503 += 1
                    raise
                except RateLimitError as error:  # a gateway's rate limit: slow down too
                    self._answered(error)
                    slot.overloaded()
                    raise
                except TmapiError as error:
                    self._answered(error)
                    raise
                self._answered(None)
                slot.success()
                return result
        finally:
            image.in_call = image.in_limiter = False


def _cancel_once(task: asyncio.Task[Any]) -> None:
    """Cancel a task unless a cancellation is already under way in it.

    Cancelling a task that waits for a slot of the limiter is avoided where possible,
    and never done twice: on Python 3.11, a task cancelled inside
    `asyncio.wait_for(condition.wait(), ...)` (the limiter's timed ramp) just after the
    timeout fired leaves without waiting for the inner wait, which then takes the
    condition's lock for good -- every other worker hangs on it (seen after SIGTERM
    while reading a big catalogue: the process never exited).
    """
    if not task.done() and not task.cancelling():
        task.cancel()


async def _cancel_all(
    tasks: Sequence[asyncio.Task[Any]], patience: float = 1.0, *, wait: bool = True
) -> None:
    """Cancel the tasks and wait for them; again only for one that swallowed its cancel."""
    pending = {task for task in tasks if not task.done()}
    for task in pending:
        _cancel_once(task)
    while pending and wait:
        _finished, pending = await asyncio.wait(pending, timeout=patience)
        for task in pending:
            task.cancel()


def _describe(error: TmapiError) -> str:
    """One line for the database: the error's message, token-free, bounded."""
    text = redact(str(error) or type(error).__name__)
    return text if len(text) <= 500 else text[:497] + "..."
