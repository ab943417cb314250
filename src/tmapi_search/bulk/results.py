"""Saving results: what a run stores for each image it searches.

Durability: every finished image is one transaction (its items and its new status
together). An image searched over several pages stores each page but the last as it
comes (`save_page`: its items and `next_page`, the page to ask for next, with
`page_params`, the search parameters they were fetched with), and the last one with
its status `done`. A process killed at any point leaves each image either `done` with
all its items, or not done with the pages stored so far (none for a one-page search);
a rerun continues those at `next_page` (`partial_for`), never mixing pages of other
search parameters (`check_page_params`). The API token is never written here.

Rows with the same normalised image URL (`url_key`) share one search: the first one's
items are copied to the others in the same transaction, and `served_by` names the row
whose paid search served them (see `normalise_url`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tmapi_search.bulk.runs import ParamsMismatchError
from tmapi_search.bulk.schema import Database, ImageRecord, ImageStatus, _image

__all__ = ["PartialPages", "ResultsMixin"]


@dataclass(frozen=True, slots=True)
class PartialPages:
    """The pages stored of an unfinished search (`Store.partial_for`)."""

    image_id: int
    """The row holding them."""
    next_page: int
    """The first page not stored yet."""
    stored: int
    """Items stored (positions 0 .. stored - 1)."""
    total_count: int | None
    page_params: str | None


def _encode(
    items: Sequence[Mapping[str, Any]], first_position: int = 0
) -> list[tuple[int, Any, Any, Any, Any, str]]:
    """Items as `items` rows (without the image id), from `first_position` on."""
    return [
        (
            position,
            _sql_value(item.get("item_id")),
            _sql_value(item.get("title")),
            _sql_value(item.get("price")),
            _sql_value(item.get("product_url")),
            json.dumps(item, ensure_ascii=False),
        )
        for position, item in enumerate(items, start=first_position)
    ]


def _sql_value(value: Any) -> Any:
    """A value for one of `items`' lookup columns (item_id, title, price, product_url).

    The whole item is in `data`; these are conveniences. What SQLite cannot hold as it
    is (a list, an object, an integer beyond 64 bits: an odd answer of the API) is kept
    as its JSON text, so that saving a result the user paid for never fails on it.
    """
    kind = type(value)
    if kind is str or kind is float or value is None:
        return value
    if kind is int and -(2**63) <= value < 2**63:
        return value
    return json.dumps(value, ensure_ascii=False)


_INSERT_ITEM = """INSERT INTO items(image_id, position, item_id, title, price, product_url, data)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(image_id, position) DO NOTHING"""
_MARK_DONE = """UPDATE images SET status = 'done', error_class = NULL, error_message = NULL,
        transient = NULL, attempts = attempts + ?, total_count = ?, item_count = ?, run_id = ?,
        updated_at = ?, served_by = ?, next_page = NULL, page_params = NULL
    WHERE id = ?"""
#: a row's items copied to another row (rows sharing one search)
_COPY_ITEMS = """INSERT INTO items(image_id, position, item_id, title, price, product_url, data)
    SELECT ?, position, item_id, title, price, product_url, data FROM items WHERE image_id = ?
    ORDER BY position ON CONFLICT(image_id, position) DO NOTHING"""


class ResultsMixin(Database):
    """The images of a run: looked up, converted, saved done, failed or page by page."""

    def image(self, image_id: int) -> ImageRecord:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise KeyError(image_id)
        return _image(row)

    def images(self, status: ImageStatus | None = None) -> list[ImageRecord]:
        if status is None:
            rows = self._db.execute("SELECT * FROM images ORDER BY line").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM images WHERE status = ? ORDER BY line", (status,)
            ).fetchall()
        return [_image(row) for row in rows]

    def settled_for(self, url_key: str, *, retry_failed: bool = False) -> ImageRecord | None:
        """A row with this image URL whose search is settled: done (or failed for good).

        Its result serves another row with the same URL without a second paid call.
        """
        row = self._db.execute(
            "SELECT * FROM images WHERE url_key = ? AND NOT rejected AND (status = 'done' OR "
            "(status = 'failed' AND transient = 0 AND NOT ?)) "
            "ORDER BY status = 'done' DESC, line LIMIT 1",
            (url_key, int(retry_failed)),
        ).fetchone()
        return None if row is None else _image(row)

    def converted_for(self, url_key: str, *, max_age: float | None = None) -> str | None:
        """A converted path already paid for, for this image URL (any row).

        With `max_age` (seconds), only a path converted at most that long ago (converted
        paths age; one stored without a time counts as old).
        """
        since = -1.0 if max_age is None else time.time() - max_age
        row = self._db.execute(
            "SELECT converted_url FROM images WHERE url_key = ? AND converted_url IS NOT NULL "
            "AND (? < 0 OR converted_at >= ?) ORDER BY converted_at DESC LIMIT 1",
            (url_key, since, since),
        ).fetchone()
        return None if row is None else str(row[0])

    def save_converted(
        self, image_ids: int | Sequence[int], converted_url: str, *, now: float | None = None
    ) -> None:
        """Keep the converted path of images at once, with its time (it was paid for)."""
        ids = [image_ids] if isinstance(image_ids, int) else list(image_ids)
        now = time.time() if now is None else now
        with self.transaction():
            self._db.executemany(
                "UPDATE images SET converted_url = ?, converted_at = ?, updated_at = ? "
                "WHERE id = ?",
                [(converted_url, now, now, image_id) for image_id in ids],
            )

    def _run_calls(self, run_id: int, calls: int | None) -> None:
        if calls is not None:
            self._db.execute("UPDATE runs SET calls = ? WHERE id = ?", (calls, run_id))

    def save_done(
        self,
        image_id: int,
        run_id: int,
        items: Sequence[Mapping[str, Any]],
        *,
        total_count: int | None,
        attempts: int,
        shared_with: Sequence[int] = (),
        served_by: int | None = None,
        calls: int | None = None,
        first_position: int = 0,
    ) -> None:
        """One transaction: the image's items (each once) and its status `done`.

        `items`: the items not stored yet, from position `first_position` on (the
        image's earlier pages were stored by `save_page`: its last page completes it).
        `shared_with`: other rows with the same image URL; they get the same items
        (every page), `served_by` = this image. `served_by` marks this image itself as
        served by an earlier row's search (no call of its own). `calls`: the run's paid
        calls so far.
        """
        now = time.time()
        encoded = _encode(items, first_position)
        count = first_position + len(items)
        targets = [(image_id, served_by, attempts)] + [
            (other, image_id, 0) for other in shared_with
        ]
        with self.transaction():
            if served_by is not None:  # served whole by another row's search: only its items
                self._db.execute("DELETE FROM items WHERE image_id = ?", (image_id,))
            if encoded:
                self._db.executemany(_INSERT_ITEM, [(image_id, *row) for row in encoded])
            if shared_with:
                # one search, one result: nothing of a sharing row's own stays beside it
                self._db.executemany(
                    "DELETE FROM items WHERE image_id = ?", [(other,) for other in shared_with]
                )
                self._db.executemany(_COPY_ITEMS, [(other, image_id) for other in shared_with])
            self._db.executemany(
                _MARK_DONE,
                [
                    (tries, total_count, count, run_id, now, server, target)
                    for target, server, tries in targets
                ],
            )
            self._run_calls(run_id, calls)

    def save_page(
        self,
        image_id: int,
        run_id: int,
        items: Sequence[Mapping[str, Any]],
        *,
        first_position: int,
        next_page: int,
        page_params: str,
        total_count: int | None,
        attempts: int,
        calls: int | None = None,
    ) -> None:
        """One transaction: a page of an unfinished search, and the page to ask for next.

        Called before the next page is requested, so a page paid for is never lost: a
        run that stops, or a later page that fails, leaves the image not done (pending
        or failed, as before) with the pages stored so far; `partial_for` hands them to
        the next run, which asks for `next_page` on. `page_params`: the search
        parameters the pages were fetched with (`check_page_params`).
        """
        now = time.time()
        with self.transaction():
            self._db.executemany(
                _INSERT_ITEM, [(image_id, *row) for row in _encode(items, first_position)]
            )
            self._db.execute(
                "UPDATE images SET next_page = ?, page_params = ?, total_count = ?, "
                "item_count = ?, attempts = attempts + ?, run_id = ?, updated_at = ? "
                "WHERE id = ?",
                (
                    next_page,
                    page_params,
                    total_count,
                    first_position + len(items),
                    attempts,
                    run_id,
                    now,
                    image_id,
                ),
            )
            self._run_calls(run_id, calls)

    def has_partial_pages(self) -> bool:
        """Some image not done holds pages already paid for (partial index)."""
        row = self._db.execute(
            "SELECT 1 FROM images WHERE next_page IS NOT NULL LIMIT 1"  # (done: NULL)
        ).fetchone()
        return row is not None

    def check_page_params(self, page_params: str) -> None:
        """Refuse (ParamsMismatchError) to resume pages fetched with other parameters.

        As `check_params` does for a whole database: stored pages are never mixed
        with pages of another search (another page size, sort, filter, API).
        """
        row = self._db.execute(
            "SELECT page_params FROM images WHERE next_page IS NOT NULL "
            "AND page_params IS NOT ? LIMIT 1",
            (page_params,),
        ).fetchone()
        if row is None:
            return
        before = json.loads(row[0] or "{}")
        now = json.loads(page_params)
        diffs = [
            f"{name}={before.get(name)!r} (now {now.get(name)!r})"
            for name in sorted(set(before) | set(now))
            if before.get(name) != now.get(name)
        ]
        raise ParamsMismatchError(
            f"--db: {self.path} holds pages of unfinished images searched with "
            + ", ".join(diffs or ["other parameters"])
            + "; use the same options to resume them, or a new --db"
        )

    def partial_for(self, url_key: str, image_id: int) -> PartialPages | None:
        """The pages stored for this image URL by a search not finished yet, if any.

        The row `image_id`'s own first, else any row with the URL (rows sharing one
        search: the pages belong to the URL's search, whichever row resumes it).
        """
        row = self._db.execute(
            "SELECT id, next_page, page_params, total_count, "
            "(SELECT count(*) FROM items WHERE image_id = images.id) AS stored "
            "FROM images WHERE url_key = ? AND next_page IS NOT NULL AND status != 'done' "
            "ORDER BY id = ? DESC, updated_at DESC LIMIT 1",
            (url_key, image_id),
        ).fetchone()
        if row is None:
            return None
        return PartialPages(
            image_id=row["id"],
            next_page=row["next_page"],
            stored=row["stored"],
            total_count=row["total_count"],
            page_params=row["page_params"],
        )

    def item_ids(self, image_id: int) -> set[Any]:
        """The offer ids (`item_id`) of the items stored for an image."""
        return {
            row[0]
            for row in self._db.execute(
                "SELECT item_id FROM items WHERE image_id = ? AND item_id IS NOT NULL",
                (image_id,),
            )
        }

    def take_pages(self, source_id: int, image_id: int) -> None:
        """One transaction: the stored pages of row `source_id` move to row `image_id`.

        The row that resumes a URL's search holds its pages (its items, the next page);
        the other row keeps none (it gets every page when the search is done).
        """
        with self.transaction():
            self._db.execute("DELETE FROM items WHERE image_id = ?", (image_id,))
            self._db.execute(
                "UPDATE items SET image_id = ? WHERE image_id = ?", (image_id, source_id)
            )
            self._db.execute(
                "UPDATE images SET (next_page, page_params, total_count, item_count) = "
                "(SELECT next_page, page_params, total_count, item_count FROM images "
                "WHERE id = ?), updated_at = ? WHERE id = ?",
                (source_id, time.time(), image_id),
            )
            self._db.execute(
                "UPDATE images SET next_page = NULL, page_params = NULL, item_count = NULL "
                "WHERE id = ?",
                (source_id,),
            )

    def save_failed(
        self,
        image_id: int,
        run_id: int,
        *,
        error_class: str,
        error_message: str,
        transient: bool,
        attempts: int,
        shared_with: Sequence[int] = (),
        served_by: int | None = None,
        calls: int | None = None,
    ) -> None:
        """One transaction: the image is `failed`, with the error's class and message."""
        now = time.time()
        targets = [(image_id, served_by, attempts)] + [
            (other, image_id, 0) for other in shared_with
        ]
        with self.transaction():
            self._db.executemany(
                """UPDATE images SET status = 'failed', error_class = ?, error_message = ?,
                       transient = ?, attempts = attempts + ?, run_id = ?, updated_at = ?,
                       served_by = ?
                   WHERE id = ?""",
                [
                    (error_class, error_message, int(transient), tries, run_id, now, server, target)
                    for target, server, tries in targets
                ],
            )
            self._run_calls(run_id, calls)

    def save_pending_error(
        self,
        image_ids: Sequence[int],
        run_id: int,
        *,
        error_class: str,
        error_message: str,
        attempts: int,
        calls: int | None = None,
    ) -> None:
        """The images stay `pending` (a rerun searches them), with why the call did not end."""
        now = time.time()
        with self.transaction():
            self._db.executemany(
                """UPDATE images SET error_class = ?, error_message = ?, transient = 1,
                       attempts = attempts + ?, run_id = ?, updated_at = ?
                   WHERE id = ? AND status = 'pending'""",
                [
                    (error_class, error_message, attempts if n == 0 else 0, run_id, now, image_id)
                    for n, image_id in enumerate(image_ids)
                ],
            )
            self._run_calls(run_id, calls)

    def copy_result(self, source: ImageRecord, image_ids: Sequence[int], run_id: int) -> None:
        """Rows served by an earlier row's settled search (same image URL): no call."""
        if not image_ids:
            return
        if source.status == "done":
            items = [
                json.loads(row[0])
                for row in self._db.execute(
                    "SELECT data FROM items WHERE image_id = ? ORDER BY position", (source.id,)
                )
            ]
            total = self._db.execute(
                "SELECT total_count FROM images WHERE id = ?", (source.id,)
            ).fetchone()[0]
            for image_id in image_ids:
                self.save_done(
                    image_id, run_id, items, total_count=total, attempts=0, served_by=source.id
                )
        else:
            for image_id in image_ids:
                self.save_failed(
                    image_id,
                    run_id,
                    error_class=source.error_class or "?",
                    error_message=source.error_message or "",
                    transient=bool(source.transient),
                    attempts=0,
                    served_by=source.id,
                )
