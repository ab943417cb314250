"""Auto-paging: which page `iter_search_by_image` asks for next, and when it stops.

The sync and async iterators of the client share this plan; only the I/O differs.
Every page is billed, so the plan never asks for a page it does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing the generated models is left to the client
    from tmapi_client.models.search_data import SearchData
    from tmapi_client.models.search_item import SearchItem

from tmapi_search import validation

__all__ = ["PagePlan"]


class PagePlan:
    """Which page comes next, and when to stop (shared by the sync and async iterators).

    Pages are numbered from `page`; each asks for `page_size` items (or `max_items` when
    that is smaller, so one short run costs one small page). After a page:

    - an empty page ends the run;
    - `max_items` items yielded, or `max_pages` pages fetched, end it;
    - `page * page_size >= total_count` ends it: no further page can hold an item. (A
      page holding fewer items than asked is *not* an end by itself: the vendor's
      example answers 2 items with `total_count` 666.)
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

    def take(self, data: SearchData) -> list[SearchItem]:
        """The items of this page to yield (cut at max_items)."""
        self.pages_done += 1
        items = data.items
        if self.max_items is not None:
            items = items[: self.max_items - self.items_done]
        self.items_done += len(items)
        return items

    def advance(self, data: SearchData) -> bool:
        """Move to the next page; False when no further page is needed."""
        if not data.items:
            return False
        if self.max_items is not None and self.items_done >= self.max_items:
            return False
        if self.max_pages is not None and self.pages_done >= self.max_pages:
            return False
        if self.page * self.page_size >= data.total_count:
            return False
        self.page += 1
        return True
