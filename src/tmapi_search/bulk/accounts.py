"""Reading accounts: what became of every input row, and the counts of a database.

`account()` is the per-input account of a database: each input row with its status
(`ok`, `no_match`, `failed`, `pending`), error code and message and item count;
`iter_account_texts()` streams each row with its items, what an export writes;
`counts()` are the totals `status` shows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from tmapi_search.bulk.schema import (
    CATALOGUE_KEY,
    CURRENT_KEY,
    GONE_SQL,
    Database,
    ImageRecord,
    _image,
)

__all__ = ["AccountStatus", "AccountsMixin", "InputAccount", "RunCounts", "StoredItem"]

#: An input row's account: items found, searched with no match, failed, not searched yet.
AccountStatus = Literal["ok", "no_match", "failed", "pending", "gone"]

#: the per-input account (see `_account`): the serving row's line by a self-join
_ACCOUNT_SQL = """SELECT im.id, im.line, im.img_url, im.sku, im.ext_id, im.extra, im.status,
    im.error_class, im.error_message, im.attempts, im.item_count, srv.line AS served_by_line,
    {gone} AS gone
    FROM images AS im LEFT JOIN images AS srv ON srv.id = im.served_by
    WHERE {where} ORDER BY im.line, im.id"""
#: one image's items, by the UNIQUE (image_id, position) index: no sort
_ITEMS_SQL = "SELECT position, data FROM items WHERE image_id = ? ORDER BY position"
#: the rows of one account status (`account(status)`)
_ACCOUNT_WHERE = {
    "ok": "im.status = 'done' AND im.item_count",
    "no_match": "im.status = 'done' AND NOT coalesce(im.item_count, 0)",
    "failed": "im.status = 'failed'",
    "pending": "im.status = 'pending'",
}
#: the same for a database older than shared searches (no `served_by` column)
_ACCOUNT_SQL_UNSHARED = """SELECT im.id, im.line, im.img_url, im.sku, im.ext_id, im.extra,
    im.status, im.error_class, im.error_message, im.attempts, im.item_count,
    NULL AS served_by_line, {gone} AS gone
    FROM images AS im WHERE {where} ORDER BY im.line, im.id"""


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored item with its source image (for export)."""

    image: ImageRecord
    position: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InputAccount:
    """What became of one input row: the public per-input account of a database.

    `status`: `ok` (searched, items found), `no_match` (searched, nothing found),
    `failed` (with `error_code`, the error's class, and `error_message`) or `pending`
    (not searched yet; `error_code`/`error_message` say why when a call was tried, e.g.
    a connection failure). `served_by` is the line of the row whose search served this
    one (same image URL), None when it was its own. `item_count`: the items stored; for
    a `failed` or `pending` row, those of the pages stored before its search stopped
    (several pages per image), 0 for most.
    """

    line: int
    img_url: str
    sku: str | None
    ext_id: str | None
    extra: dict[str, str]
    status: AccountStatus
    error_code: str | None
    error_message: str | None
    item_count: int
    attempts: int
    served_by: int | None
    image_id: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "img_url": self.img_url,
            "sku": self.sku,
            "id": self.ext_id,
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "item_count": self.item_count,
            "attempts": self.attempts,
            "served_by_line": self.served_by,
        }


@dataclass(slots=True)
class RunCounts:
    """Counts of the images of a database by status, and of its items."""

    pending: int = 0
    done: int = 0
    failed: int = 0
    items: int = 0
    no_match: int = 0
    shared: int = 0
    partial: int = 0
    """Rows not done that hold some pages of their search (resumed at the next page)."""
    rejected: int = 0
    """Of `failed`: rows the catalogue reader rejected (never searched, `InvalidInput`)."""
    gone: int = 0
    """Rows the latest reading of the catalogue no longer has (not in the counts above)."""
    failed_by_class: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.pending + self.done + self.failed


def _account(row: sqlite3.Row) -> InputAccount:
    """One row of `Store._account_sql()` as its account."""
    stored = row[6]
    if stored == "done":
        status: AccountStatus = "ok" if row[10] else "no_match"
    else:
        status = stored
    unsettled = status in ("failed", "pending")
    if row[12]:
        status = "gone"
    return InputAccount(
        line=row[1],
        img_url=row[2],
        sku=row[3],
        ext_id=row[4],
        extra=json.loads(row[5]),
        status=status,
        error_code=row[7] if unsettled else None,
        error_message=row[8] if unsettled else None,
        item_count=row[10] or 0,  # a row not done may hold pages already paid for
        attempts=row[9],
        served_by=row[11],
        image_id=row[0],
    )


class AccountsMixin(Database):
    """Reading a database back: the per-input account, items, counts."""

    #: Reading back (accounts, exports, reports, counts, items) leaves out the rows that
    #: the latest reading of the catalogue no longer has (`gone`: deleted rows, and the
    #: old photo of a row whose photo changed); True shows them, with the status `gone`.
    #: Nothing is ever deleted: they were paid for.
    include_gone: bool = False

    def current_reading(self) -> int | None:
        """The latest catalogue reading that completed (its rows are the catalogue)."""
        value = self._meta(CURRENT_KEY)
        if value is None:  # a database of an older version: its last completed reading
            catalogue = self._meta(CATALOGUE_KEY)
            value = str(json.loads(catalogue).get("ingestion") or "") if catalogue else ""
        return int(value) if value else None

    def _gone_sql(self, alias: str = "im") -> str:
        """SQL: the row `alias` is gone (the latest completed reading did not see it)."""
        if not self._has_column("images", "seen_in"):
            return "0"
        return GONE_SQL.replace("im.seen_in", alias + ".seen_in")

    def _shown_sql(self, alias: str = "im") -> str:
        """SQL: the row `alias` is shown (not gone, or `include_gone`)."""
        return "1" if self.include_gone else "NOT " + self._gone_sql(alias)

    def number_columns(self) -> list[str]:
        """The extra columns holding numbers in the latest catalogue reading (written as
        numbers in a workbook; see `tmapi_search.bulk.columns`)."""
        catalogue = self._meta(CATALOGUE_KEY)
        names = json.loads(catalogue).get("number_columns", []) if catalogue else []
        return [str(name) for name in names]

    # -- reading back ------------------------------------------------------------------
    def counts(self) -> RunCounts:
        """Counts of the catalogue's rows (gone rows only as `gone`, whatever
        `include_gone`), and of their items."""
        counts = RunCounts()
        gone = self._gone_sql("images")

        def query(sql: str) -> Iterator[sqlite3.Row]:
            return iter(self._db.execute(sql.replace("{gone}", gone)))

        for row in query(
            "SELECT status, count(*) AS n FROM images WHERE NOT {gone} GROUP BY status"
        ):
            setattr(counts, row["status"], row["n"])
        counts.gone = next(query("SELECT count(*) FROM images WHERE {gone}"))[0]
        counts.items = next(
            query(
                "SELECT count(*) FROM items JOIN images ON images.id = items.image_id "
                "WHERE NOT {gone}"
            )
        )[0]
        counts.no_match = next(
            query(
                "SELECT count(*) FROM images WHERE status = 'done' "
                "AND coalesce(item_count, 0) = 0 AND NOT {gone}"
            )
        )[0]
        if not self.readonly or self._has_column("images", "served_by"):
            counts.shared = next(
                query("SELECT count(*) FROM images WHERE served_by IS NOT NULL AND NOT {gone}")
            )[0]
        if self._has_column("images", "next_page"):
            counts.partial = next(  # (done: NULL)
                query("SELECT count(*) FROM images WHERE next_page IS NOT NULL AND NOT {gone}")
            )[0]
        if self._has_column("images", "rejected"):
            counts.rejected = next(
                query("SELECT count(*) FROM images WHERE rejected AND NOT {gone}")
            )[0]
        for row in query(
            "SELECT error_class, count(*) AS n FROM images WHERE status = 'failed' "
            "AND NOT {gone} GROUP BY error_class ORDER BY n DESC"
        ):
            counts.failed_by_class[row["error_class"] or "?"] = row["n"]
        return counts

    def iter_items(self) -> Iterator[StoredItem]:
        """Every stored item with its image, in input order then result order (streamed,
        like `iter_account_texts`: only the images are sorted)."""
        reader = self._db.cursor()
        sql = "SELECT * FROM images AS im WHERE {shown} ORDER BY line, id"
        for row in self._db.execute(sql.replace("{shown}", self._shown_sql())):
            items = reader.execute(_ITEMS_SQL, (row["id"],)).fetchall()
            if items:
                image = _image(row)
                for position, data in items:
                    yield StoredItem(image=image, position=position, data=json.loads(data))

    def _account_sql(self) -> str:
        """The per-input account, in input order; `served_by` as the serving row's line.

        The serving row's line comes from a self-join (no map of every id in memory); a
        database older than shared searches (no `served_by` column) has none.
        """
        sql = (
            _ACCOUNT_SQL_UNSHARED
            if self.readonly and not self._has_column("images", "served_by")
            else _ACCOUNT_SQL
        )
        return sql.replace("{gone}", self._gone_sql()).replace("{where}", self._shown_sql())

    def account(self, status: AccountStatus | None = None) -> Iterator[InputAccount]:
        """The per-input account, in input order: every row, its status, code, message.

        `status` keeps only the rows with that status (e.g. "failed"). Streamed from a
        cursor: nothing is held but the current row.
        """
        sql = self._account_sql()
        if status == "gone":
            sql = sql.replace("ORDER BY", "AND " + self._gone_sql() + " ORDER BY")
        elif status is not None:  # only that status's rows are read (see `_account`)
            sql = sql.replace("ORDER BY", f"AND {_ACCOUNT_WHERE[status]} ORDER BY")
        for row in self._db.execute(sql):
            entry = _account(row)
            if status is None or entry.status == status:
                yield entry

    def iter_account_texts(self) -> Iterator[tuple[InputAccount, list[tuple[int, str]]]]:
        """Every input row with its items as stored: (account, [(position, JSON text)]).

        In input order then result order. Streamed: one cursor over the rows (only the
        rows are sorted, never the items' data), and each row's items read by the
        (image_id, position) index when its turn comes, so at most one row's items are
        held at a time.
        """
        return self._iter_accounts(_ITEMS_SQL)

    def _iter_accounts(self, items_sql: str) -> Iterator[tuple[InputAccount, list[Any]]]:
        sql = self._account_sql()
        reader = self._db.cursor()
        for row in self._db.execute(sql):
            account = _account(row)
            items = reader.execute(items_sql, (account.image_id,)).fetchall()
            yield account, items

    def iter_account_items(
        self,
    ) -> Iterator[tuple[InputAccount, int | None, dict[str, Any] | None]]:
        """Every input row with each of its items, or once with None when it has none.

        In input order then result order: what an export that accounts for every row
        writes (see `tmapi_search.bulk.export`). Streamed.
        """
        for account, items in self.iter_account_texts():
            if not items:
                yield account, None, None
            for position, data in items:
                yield account, position, json.loads(data)
