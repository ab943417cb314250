"""Auto-paging: which page `iter_search_by_image(_v2)` asks for next, and when it stops.

The sync and async iterators of the client share this plan; only the I/O differs.
Every page is billed, so the plan never asks for a page it does not need.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from tmapi_search import validation

__all__ = ["Page", "PagePlan"]

logger = logging.getLogger("tmapi_search")

ItemT = TypeVar("ItemT")
ItemT_co = TypeVar("ItemT_co", covariant=True)


class Page(Protocol[ItemT_co]):
    """What paging reads of an answer (the generated `SearchData` and `SearchDataV2`)."""

    @property
    def items(self) -> Sequence[ItemT_co]: ...

    @property
    def total_count(self) -> int: ...


class PagePlan(Generic[ItemT]):
    """Which page comes next, and when to stop (shared by the sync and async iterators).

    Pages are numbered from `page`; each asks for `page_size` items (or `max_items` when
    that is smaller, so one short run costs one small page). After a page:

    - an empty page ends the run;
    - a page that brings no offer (`item_id`) not already yielded ends it: the API
      repeating itself is not paid for again. An offer is yielded once;
    - `max_items` items yielded, or `max_pages` pages fetched, end it;
    - v2: `has_next_page: false` ends it, `has_next_page: true` continues (the API's
      own word beats arithmetic on `total_count`);
    - otherwise (v1, or a v2 answer without `has_next_page`), `page * page_size >=
      total_count` ends it: no further page can hold an item. (A page holding fewer
      items than asked is *not* an end by itself: the vendor's example answers 2 items
      with `total_count` 666.)
    """

    def __init__(
        self, page: int, page_size: int, max_items: int | None, max_pages: int | None
    ) -> None:
        self.max_items = validation.check_limit("max_items", max_items)
        self.max_pages = validation.check_limit("max_pages", max_pages)
        self.page = page
        self.page_size = min(page_size, self.max_items) if self.max_items else page_size
        self.pages_done = 0
        self.items_done = 0
        self._seen: set[object] = set()
        self._repeated = False

    def take(self, data: Page[ItemT]) -> list[ItemT]:
        """The items of this page to yield: offers not yielded before, cut at max_items."""
        self.pages_done += 1
        items: list[ItemT] = []
        for item in data.items:
            item_id = getattr(item, "item_id", None)
            if isinstance(item_id, int):  # an item without an id cannot be told apart
                if item_id in self._seen:
                    continue
                self._seen.add(item_id)
            items.append(item)
        self._repeated = bool(data.items) and not items
        if self.max_items is not None:
            items = items[: self.max_items - self.items_done]
        self.items_done += len(items)
        return items

    def advance(self, data: Page[ItemT]) -> bool:
        """Move to the next page; False when no further page is needed."""
        if not data.items:
            return False
        if self._repeated:
            logger.info("page %d brought no offer not already seen: paging stopped", self.page)
            return False
        if self.max_items is not None and self.items_done >= self.max_items:
            return False
        if self.max_pages is not None and self.pages_done >= self.max_pages:
            return False
        has_next = getattr(data, "has_next_page", None)
        if has_next is False:
            return False
        if has_next is not True and self.page * self.page_size >= data.total_count:
            return False
        self.page += 1
        return True
