"""`tmapi-search report`: one self-contained HTML page of a bulk run, to judge matches by eye.

One section per input row (catalogue order): its photo, sku, id and the user's columns,
its status (ok / no match / failed with the vendor's message / pending), and beside it
its first `top` matches as cards (offer image, translated and original title, price,
MOQ and first price tier, sales, supplier flags, repurchase rate, location, shop, link).
Offers found for several input rows say which other rows. Each card shows its score
and the shortlist is marked (`shortlist`: a row's shortlisted matches are shown even
beyond `top`); with a quantity, currency or sell price (`pricing.Terms`), the unit price
at that quantity and the margin. A Suppliers view beside the per-input view lists the
shops by how many inputs they cover (`suppliers`), each expandable to the inputs it
covers with its offers.

How it is safe to open:

- the database is opened read-only (`mode=ro`): a report never changes a run;
- every string from the API or the catalogue travels as JSON inside
  ``<script type="application/json">`` with ``<``, ``>``, ``&`` and U+2028/9 escaped
  (so ``</script>`` in a title cannot end the block), and the page's script puts it
  into the DOM with `textContent` / `setAttribute` only, never as markup;
- links and image sources are kept only when they are http(s) URLs (a
  ``javascript:`` URL from a supplier is shown as nothing);
- no CDN, no external script or stylesheet: CSS and JS are inline
  (`report_template.html`, shipped in the package); the only remote things are the
  catalogue's and the offers' own images, lazy-loaded, with a placeholder when they
  cannot be loaded.

Big runs: the page renders sections in batches as the reader scrolls, and filters work
on the data, not on the DOM (see `bench/report_render.py`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tmapi_search.bulk.activity import writing_now
from tmapi_search.bulk.atomic import atomic_write, check_output
from tmapi_search.bulk.pricing import Terms
from tmapi_search.bulk.shortlist import SHORTLIST, Judged
from tmapi_search.bulk.store import InputAccount, Store, open_readonly
from tmapi_search.bulk.suppliers import Rollup, Supplier, iter_judged

__all__ = [
    "DEFAULT_TOP",
    "ReportSummary",
    "build_report_data",
    "render_html",
    "write_report",
]

DEFAULT_TOP = 5
#: shops listed in the Suppliers view (most inputs first); `tmapi-search suppliers` has all
MAX_SUPPLIERS = 300

_TABLES = frozenset({"meta", "runs", "images", "items"})


@dataclass(slots=True)
class ReportSummary:
    """What a written report holds."""

    path: Path
    inputs: int
    cards: int
    by_status: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    gone_left_out: int = 0
    """Rows the catalogue no longer has, left out (`include_gone` shows them)."""
    running: str | None = None
    """Set when a bulk run was writing the database: the report shows what was saved."""


# -- reading the database -------------------------------------------------------------
# The database is read through the store's own read-only opening (`Store(readonly=True)`,
# `open_readonly`: `mode=ro`, nothing written) and each row's status comes from the
# store's per-input account (`Store.account()`: ok / no_match / failed / pending, with the
# error's code and message), the same account `export` and `status` give.


def _safe_url(value: object) -> str | None:
    """An http(s) URL to link or load, or None (javascript:, data:, relative paths ...)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: object) -> bool:
    return value is True


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _words(value: object) -> list[str]:
    return (
        [part for part in value if isinstance(part, str) and part]
        if isinstance(value, list)
        else []
    )


#: The contract's fields a card reads (SearchItem, its shop_info, sale_info, delivery_info
#: and first quantity_prices tier); a test holds them against openapi.yaml.
CARD_FIELDS = {
    "SearchItem": (
        "item_id", "product_url", "title", "title_origin", "img", "price", "quantity_begin",
        "quantity_prices", "sale_info", "item_repurchase_rate", "shop_info", "delivery_info",
    ),
    "QuantityPrice": ("begin_num", "end_num", "price"),
    "SaleInfo": ("sale_quantity_month", "sale_quantity"),
    "ShopInfo": (
        "location", "shop_repurchase_rate", "is_factory", "is_super_factory", "is_gold_supplier",
        "factory_inspection", "tp_member", "tp_year", "company_name", "shop_url", "biz_type",
    ),
    "DeliveryInfo": ("area_from",),
}  # fmt: skip


#: The keys of a card, in the order the page receives them.
CARD_KEYS = (
    "id", "u", "t", "to", "img", "p", "moq", "tier", "s30", "sall", "rr", "srr",
    "fac", "sf", "gold", "insp", "tp", "loc", "shop", "shopu", "biz", "pos",
    # the decision: score, shortlist place, ad, unit price (CNY, user's currency),
    # margin, margin %, MOQ reached (`pricing`, `shortlist`)
    "sc", "sl", "ad", "upc", "up", "mg", "mp", "mok",
)  # fmt: skip


def _card(item: dict[str, Any]) -> dict[str, Any]:
    """The fields of one offer card (short keys), read tolerantly from the stored item.

    The stored item is the API's JSON as the runner received and parsed it. It is read as
    JSON here rather than through `SearchItem.from_dict`: building the attrs models was
    two thirds of the time of a 40,000-card report, and a card needs a dozen fields
    (`CARD_FIELDS`, checked against the contract by a test). A field of an unexpected
    type shows as missing, never as an error.
    """
    sale, shop = _obj(item.get("sale_info")), _obj(item.get("shop_info"))
    tiers = item.get("quantity_prices")
    first = _obj(tiers[0]) if isinstance(tiers, list) and tiers else None
    location = _words(shop.get("location")) or _words(
        _obj(item.get("delivery_info")).get("area_from")
    )
    price = _str(item.get("price"))
    repurchase = _str(item.get("item_repurchase_rate"))
    item_id = item.get("item_id")
    return {
        "id": str(item_id) if isinstance(item_id, (int, str)) else "?",
        "u": _safe_url(item.get("product_url")),
        "t": _str(item.get("title")),
        "to": _str(item.get("title_origin")),
        "img": _safe_url(item.get("img")),
        "p": price,
        "moq": _int(item.get("quantity_begin")),
        "tier": None
        if first is None
        else [_str(first.get("begin_num")), _str(first.get("end_num")), _str(first.get("price"))],
        "s30": _int(sale.get("sale_quantity_month")),
        "sall": _int(sale.get("sale_quantity")),
        "rr": repurchase,
        "srr": _str(shop.get("shop_repurchase_rate")),
        "fac": _flag(shop.get("is_factory")),
        "sf": _flag(shop.get("is_super_factory")),
        "gold": _flag(shop.get("is_gold_supplier")),
        "insp": _flag(shop.get("factory_inspection")),
        "tp": _int(shop.get("tp_year")) if _flag(shop.get("tp_member")) else None,
        "loc": ", ".join(location) or None,
        "shop": _str(shop.get("company_name")),
        "shopu": _safe_url(shop.get("shop_url")),
        "biz": _str(shop.get("biz_type")),
    }


def _money(value: object) -> str | None:
    return None if value is None else str(value)


def _decided(card: dict[str, Any], match: Judged) -> dict[str, Any]:
    decision, score = match.decision, match.score
    card.update(
        sc=score.total,
        sl=score.shortlist,
        ad=score.ad,
        upc=_money(decision.unit_price_cny),
        up=_money(decision.unit_price),
        mg=_money(decision.margin),
        mp=_money(decision.margin_pct),
        mok=decision.moq_ok,
    )
    return card


def _supplier(supplier: Supplier, index_of_line: dict[int, int]) -> dict[str, Any]:
    """One shop of the Suppliers view (short keys); its matches as arrays
    [row index, rank, offer id, title, offer URL, unit price, score, shortlist place,
    margin, MOQ reached]."""
    low, high = supplier.price_range()
    return {
        "name": supplier.company_name or supplier.member_id or supplier.shop_url,
        "member": supplier.member_id,
        "url": _safe_url(supplier.shop_url),
        "inputs": supplier.inputs,
        "offers": supplier.offers,
        "best": supplier.best_rank,
        "sl": supplier.shortlisted,
        "pmin": _money(low),
        "pmax": _money(high),
        "fac": supplier.is_factory,
        "tp": supplier.tp_year,
        "rr": supplier.repurchase_rate,
        "loc": supplier.location,
        "m": [
            [
                index_of_line.get(m.line, -1), m.rank, m.item_id, m.title,
                _safe_url(m.product_url), _money(m.unit_price), m.score, m.shortlist,
                _money(m.margin), m.moq_ok,
            ]
            for m in sorted(supplier.matches, key=lambda m: (m.line, m.rank))
        ],
    }  # fmt: skip


def build_report_data(
    db: str | Path,
    *,
    top: int = DEFAULT_TOP,
    terms: Terms | None = None,
    shortlist: int = SHORTLIST,
    include_gone: bool = False,
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-able data (strings not yet escaped).

    The rows of the catalogue as last read; `include_gone` adds the rows it no longer
    has, with the status `gone`. `terms`: the quantity, currency and sell price the
    cards' prices and margins are computed at (`pricing.Terms`; TermsError names the
    option); `shortlist`: the matches on each row's shortlist (shown even beyond `top`).
    ValueError naming `--db` when `db` is missing or not a results database.
    """
    if top < 1:
        raise ValueError(f"--top: must be at least 1, got {top}")
    with Store(db, readonly=True) as store:
        store.include_gone = include_gone
        terms = (terms or Terms()).check(store.extra_columns())
        accounts = list(store.account())
        # every stored match is priced and scored (a score compares a row's matches);
        # the first `top` of each row, and its shortlist, become cards
        rollup = Rollup(terms)
        cards: dict[int, list[dict[str, Any]]] = {}
        for account, judged in iter_judged(store, terms, shortlist=shortlist):
            rollup.add(account, judged)
            for match in judged:
                if match.position < top or match.score.shortlist is not None:
                    card = _decided(_card(_obj(match.item)), match)
                    card["pos"] = match.position
                    cards.setdefault(account.image_id, []).append(card)
        suppliers = rollup.suppliers()
    conn = open_readonly(Path(db))
    conn.row_factory = sqlite3.Row
    try:
        data = _build(conn, accounts, cards, top)
    finally:
        conn.close()
    index_of_line: dict[int, int] = {}
    for index, entry in enumerate(accounts):
        index_of_line.setdefault(entry.line, index)
    data["suppliers"] = [_supplier(s, index_of_line) for s in suppliers[:MAX_SUPPLIERS]]
    data["supplierCount"] = len(suppliers)
    data["shortlist"] = shortlist
    data["terms"] = {
        "code": terms.code,
        "given": terms.given,
        "sell": terms.sell_price_column is not None,
        "text": terms.describe(),
    }
    return data


def _build(
    conn: sqlite3.Connection,
    accounts: list[InputAccount],
    cards: dict[int, list[dict[str, Any]]],
    top: int,
) -> dict[str, Any]:
    index_of = {entry.image_id: index for index, entry in enumerate(accounts)}
    rows = {row["id"]: row for row in conn.execute("SELECT id, transient, total_count FROM images")}
    stored: dict[int, int] = {}
    # every stored match's offer id, to tell which offers several rows found
    found_by: dict[int, list[list[int]]] = {}
    for image_id, position, item_id in conn.execute(
        "SELECT image_id, position, item_id FROM items ORDER BY image_id, position"
    ):
        stored[image_id] = stored.get(image_id, 0) + 1
        if item_id is not None and image_id in index_of:
            found_by.setdefault(item_id, []).append([index_of[image_id], position])
    # offer id -> [[row index, position, row name], ...] for offers found for several rows
    # (the name travels too: the named row may still be unread when a card is drawn)
    shared = {
        str(item_id): [[index, position, _row_name(accounts[index])] for index, position in places]
        for item_id, places in found_by.items()
        if len({index for index, _ in places}) > 1
    }
    fields: Counter[str] = Counter()  # the offers' field names (the header lists them)
    for (data,) in conn.execute("SELECT data FROM items WHERE position < ?", (top,)):
        try:
            fields.update(_obj(json.loads(data)).keys())
        except ValueError:  # a row that is not JSON: no field
            continue
    inputs = []
    by_status: dict[str, int] = {"ok": 0, "no_match": 0, "failed": 0, "pending": 0}
    for entry in accounts:
        by_status[entry.status] = by_status.get(entry.status, 0) + 1
        row = rows.get(entry.image_id)
        transient = row["transient"] if row is not None else None
        inputs.append(
            {
                "line": entry.line,
                "sku": entry.sku,
                "xid": entry.ext_id,
                "url": entry.img_url,
                "img": _safe_url(entry.img_url),
                "extra": [[str(k), "" if v is None else str(v)] for k, v in entry.extra.items()],
                "st": entry.status,
                "err": entry.error_code,
                "msg": entry.error_message,
                "tr": None if transient is None else bool(transient),
                "total": row["total_count"] if row is not None else None,
                "stored": stored.get(entry.image_id, 0),
                "served": entry.served_by,
                "cards": cards.get(entry.image_id, []),
            }
        )
    return {
        "top": top,
        "inputs": inputs,
        "shared": shared,
        "counts": by_status,
        "params": _params(conn),
        "runs": _runs(conn),
        "fields": _fields(fields),
    }


def _fields(counts: Counter[str]) -> list[list[Any]]:
    """[name, offers with it, declared in openapi.yaml] of every field the offers carry."""
    declared = declared_item_fields()
    return [[name, n, name in declared] for name, n in counts.most_common()]


def declared_item_fields() -> frozenset[str]:
    """The item fields the contract declares (v1 and v2 items), from the generated models."""
    import attrs
    from tmapi_client.models import SearchItem, SearchItemV2

    return frozenset(
        f.name.rstrip("_")  # `type_` is the JSON key `type`
        for model in (SearchItem, SearchItemV2)
        for f in attrs.fields(model)
        if f.name != "additional_properties"
    )


def _row_name(entry: InputAccount) -> str:
    return entry.sku or entry.ext_id or f"line {entry.line}"


def _params(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT value FROM meta WHERE key = 'search_params'").fetchone()
    if row is None:
        return {}
    try:
        params = json.loads(row[0])
    except ValueError:
        return {}
    return {str(k): v for k, v in dict(params).items() if v is not None}


def _runs(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute(
        "SELECT count(*) AS n, min(started_at) AS first, max(coalesce(finished_at, started_at)) "
        "AS last FROM runs"
    ).fetchone()
    last = conn.execute("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return {
        "count": row["n"],
        "first": row["first"],
        "last": row["last"],
        "outcome": last["outcome"] if last is not None else None,
    }


# -- writing the page -------------------------------------------------------------------
def embed_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``</script>``, no ``<!--``.

    ``<``, ``>`` and ``&`` become JSON escapes (the same string once parsed); U+2028/9
    too, for old JS parsers. (str.replace: `translate` is 10x slower on a 25 MB page.)
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _JSON_ESCAPES:
        text = text.replace(char, escaped)
    return text


_JSON_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


_SCRIPT_OPEN = '<script id="report-js">'
#: Rows in the block before the page's script: drawn while the browser still reads the
#: rest of a big report (the rest is a second block after the script).
HEAD_ROWS = 12


def _template() -> str:
    source = resources.files("tmapi_search.bulk").joinpath("report_template.html")
    return source.read_text(encoding="utf-8")


def render_html(data: dict[str, Any], *, title: str, generated_at: float | None = None) -> str:
    """The whole page: the template with the data embedded (and the title HTML-escaped)."""
    import html

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(generated_at or time.time()))
    page = _template()
    # CSP: only this exact script may run (an injected one, or an on* attribute, may not)
    start = page.index(_SCRIPT_OPEN) + len(_SCRIPT_OPEN)
    script = page[start : page.index("</script>", start)]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    page = page.replace("@@SCRIPT_HASH@@", f"sha256-{digest}")
    # cards travel as arrays in CARD_KEYS order (a third smaller than objects: a 2,000 x 20
    # report is ~20 MB instead of ~26, and the browser reads and parses every byte)
    packed = [
        {**entry, "cards": [[card.get(key) for key in CARD_KEYS] for card in entry["cards"]]}
        for entry in data["inputs"]
    ]
    head = {
        **data,
        "inputs": packed[:HEAD_ROWS],
        "total": len(packed),
        "totalCards": sum(len(entry["cards"]) for entry in packed),
        "cardKeys": CARD_KEYS,
        "title": title,
        "generated": stamp,
    }
    page = page.replace("@@TITLE@@", html.escape(title, quote=True))
    page = page.replace("@@GENERATED@@", html.escape(stamp, quote=True))
    # the data goes in last, by position: nothing in it is ever read as a placeholder
    before, middle = page.split("@@DATA@@")
    middle, after = middle.split("@@REST@@")
    return before + embed_json(head) + middle + embed_json(packed[HEAD_ROWS:]) + after


def write_report(
    db: str | Path,
    out: str | Path,
    *,
    top: int = DEFAULT_TOP,
    force: bool = False,
    terms: Terms | None = None,
    shortlist: int = SHORTLIST,
    include_gone: bool = False,
) -> ReportSummary:
    """Write the report of `db` to `out` atomically (temp file + rename).

    Refuses (ValueError naming the option) a missing or foreign database, and what
    `bulk.atomic.check_output` refuses: an `--out` that exists without `force`, that is
    the database or one of its files, a SQLite file, a folder, or in a missing folder.
    """
    db_path, out_path = Path(db), Path(out)
    if top < 1:
        raise ValueError(f"--top: must be at least 1, got {top}")
    check_output(out_path, db_path, force=force)
    with Store(db_path, readonly=True) as store:
        running = writing_now(db_path, store)
        gone = 0 if include_gone else store.counts().gone
    data = build_report_data(
        db_path, top=top, terms=terms, shortlist=shortlist, include_gone=include_gone
    )
    page = render_html(data, title=db_path.name).encode("utf-8")
    with atomic_write(out_path, binary=True, force=force) as handle:
        handle.write(page)
    return ReportSummary(
        path=out_path,
        inputs=len(data["inputs"]),
        cards=sum(len(i["cards"]) for i in data["inputs"]),
        by_status=dict(data["counts"]),
        bytes=len(page),
        gone_left_out=gone,
        running=running,
    )
