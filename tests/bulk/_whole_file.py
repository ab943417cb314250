"""The whole-file catalogue path `bulk` took before streaming.

Kept here, for the tests only, as the reference the streamed path (`Store.Ingestion`)
is compared with, and as a quick way to put rejected rows in a database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

from tmapi_search.bulk.store import INVALID_INPUT, CatalogueChanges, Store


def replace_rejected(
    store: Store, rows: Iterable[tuple[int, str, str | None, str | None, str, str]]
) -> None:
    """Store the catalogue's rejected rows (line, img_url, sku, ext_id, extra JSON, reason).

    One transaction: the rejected rows of the previous run go (a row since fixed is
    an ordinary row now) and these take their place, `failed` with `InvalidInput`.
    """
    now = time.time()
    with store.transaction():
        store._db.execute("DELETE FROM images WHERE rejected = 1")
        store._db.executemany(
            """INSERT INTO images(key, line, img_url, sku, ext_id, extra, status,
                                  error_class, error_message, transient, updated_at,
                                  rejected)
               VALUES (?, ?, ?, ?, ?, ?, 'failed', ?, ?, 0, ?, 1)""",
            [
                (
                    json.dumps(["rejected", line]),
                    line,
                    img_url,
                    sku,
                    ext_id,
                    extra,
                    INVALID_INPUT,
                    reason,
                    now,
                )
                for line, img_url, sku, ext_id, extra, reason in rows
            ],
        )


def update_catalogue(
    store: Store, rows: Sequence[tuple[str, int, str, str | None, str | None, str]]
) -> CatalogueChanges:
    """Bring the stored rows in line with the catalogue, before `add_images`.

    A known row (same sku/id and img_url) takes the catalogue's current columns and
    line, so exports show the catalogue as it is now; its status and items are kept.
    Returns what changed; new rows are only counted (add_images inserts them).
    """
    changes = CatalogueChanges()
    if not rows:
        return changes
    stored = {
        row["key"]: (row["line"], json.loads(row["extra"]))
        for row in store._db.execute("SELECT key, line, extra FROM images WHERE NOT rejected")
    }
    if not stored:
        return changes  # a first run: nothing to compare with
    urls_by_ident: dict[tuple[str, str], set[str]] = {}
    for row in store._db.execute("SELECT sku, ext_id, img_url FROM images WHERE NOT rejected"):
        if row["sku"] or row["ext_id"]:
            ident = (row["sku"] or "", row["ext_id"] or "")
            urls_by_ident.setdefault(ident, set()).add(row["img_url"])
    before_columns = store.extra_columns()
    updates = []
    now_columns: dict[str, None] = {}
    for key, line, img_url, sku, ext_id, extra_json in rows:
        extra = json.loads(extra_json)
        now_columns.update(dict.fromkeys(extra))
        known = stored.get(key)
        if known is None:
            changes.new += 1
            urls = urls_by_ident.get((sku or "", ext_id or ""))
            if (sku or ext_id) and urls and img_url not in urls:
                changes.url_changed += 1
            continue
        if known[1] != extra:
            changes.edited += 1
        if known != (line, extra):
            updates.append((line, extra_json, time.time(), key))
    changes.gone = len(stored.keys() - {row[0] for row in rows})
    changes.new_columns = [name for name in now_columns if name not in before_columns]
    changes.dropped_columns = [name for name in before_columns if name not in now_columns]
    if updates:
        with store.transaction():
            store._db.executemany(
                "UPDATE images SET line = ?, extra = ?, updated_at = ? WHERE key = ?",
                updates,
            )
    return changes
