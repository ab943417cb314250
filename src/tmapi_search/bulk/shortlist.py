"""A score out of 100 for every match of an input row, and the shortlist it gives.

The score adds six parts, each read from the answer (nothing guessed), each compared
only with the other matches of the same input row:

- same product, 40: the API ranks matches by image similarity; rank 1 gets 40, the
  last stored match 0, linearly;
- price at your quantity, 20: the cheapest unit price at the row's quantity gets 20,
  the dearest 0, linearly (no price: 0);
- MOQ fit, 15: when the quantity reaches the offer's MOQ;
- factory, 10: when the shop is a factory (or a super factory);
- sales, 10: 90-day sales, as a share of the best seller's;
- repurchase, 5: the offer's repurchase rate, as a share of the highest.

The shortlist of a row is its `SHORTLIST` best-scored matches (ties: the better rank);
an ad (an offer the answer marks with `is_ad`) is never shortlisted: it is kept apart,
marked, with its score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tmapi_search.bulk.pricing import Decision, Terms, decide_at

__all__ = ["SHORTLIST", "WEIGHTS", "Judged", "Score", "is_ad", "judge_row", "score_matches"]

#: matches on the shortlist of each input row
SHORTLIST = 3
#: the points of each part of the score (they add up to 100)
WEIGHTS = {
    "same_product": 40,
    "price": 20,
    "moq": 15,
    "factory": 10,
    "sales": 10,
    "repurchase": 5,
}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


@dataclass(frozen=True, slots=True)
class Score:
    """One match's score (0-100, one decimal), its parts, and its place on the shortlist
    (1 = best; None: not on it). `ad`: the answer marks the offer as an ad."""

    total: float
    parts: dict[str, float]
    shortlist: int | None
    ad: bool


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def is_ad(item: Mapping[str, Any]) -> bool:
    """Whether the answer marks the offer as an ad (`is_ad`: true, 1 or "true")."""
    flag = item.get("is_ad")
    return flag is True or flag == 1 or (isinstance(flag, str) and flag.lower() == "true")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        found = _NUMBER.search(value)  # "11.2%", "0.5", "40+"
        return float(found.group()) if found else None
    return None


def _sales(item: Mapping[str, Any]) -> float | None:
    sale = _obj(item.get("sale_info"))
    for key in ("sale_quantity_90days", "sale_quantity_month", "sale_quantity"):
        found = _number(sale.get(key))
        if found is not None:
            return found
    return None


def _factory(item: Mapping[str, Any]) -> bool:
    shop = _obj(item.get("shop_info"))
    return shop.get("is_factory") is True or shop.get("is_super_factory") is True


def _share(value: float | None, best: float) -> float:
    return 0.0 if value is None or best <= 0 else max(value, 0.0) / best


def score_matches(
    items: Sequence[Mapping[str, Any]],
    decisions: Sequence[Decision],
    *,
    shortlist: int = SHORTLIST,
) -> list[Score]:
    """The scores of one input row's matches (`items` in the API's order, with their
    `decisions` at the row's quantity), in the same order."""
    count = len(items)
    prices = [d.unit_price_cny for d in decisions]
    known = [p for p in prices if p is not None]
    low: Decimal | None = min(known) if known else None
    high: Decimal | None = max(known) if known else None
    sales = [_sales(item) for item in items]
    best_sales = max((s for s in sales if s is not None), default=0.0)
    rates = [_number(item.get("item_repurchase_rate")) for item in items]
    best_rate = max((r for r in rates if r is not None), default=0.0)
    scores: list[tuple[float, dict[str, float], bool]] = []
    for index, (item, decision) in enumerate(zip(items, decisions, strict=True)):
        price = prices[index]
        if price is None or low is None or high is None:
            cheap = 0.0
        elif high == low:
            cheap = 1.0
        else:
            cheap = float((high - price) / (high - low))
        parts = {
            "same_product": 1.0 - index / (count - 1) if count > 1 else 1.0,
            "price": cheap,
            "moq": 1.0 if decision.moq_ok else 0.0,
            "factory": 1.0 if _factory(item) else 0.0,
            "sales": _share(sales[index], best_sales),
            "repurchase": _share(rates[index], best_rate),
        }
        points = {name: round(WEIGHTS[name] * share, 1) for name, share in parts.items()}
        scores.append((round(sum(points.values()), 1), points, is_ad(item)))
    ranked = sorted(
        (index for index, (_, _, ad) in enumerate(scores) if not ad),
        key=lambda index: (-scores[index][0], index),
    )
    place = {index: n + 1 for n, index in enumerate(ranked[:shortlist])}
    return [
        Score(total=total, parts=points, shortlist=place.get(index), ad=ad)
        for index, (total, points, ad) in enumerate(scores)
    ]


@dataclass(frozen=True, slots=True)
class Judged:
    """One match with its decision values and its score."""

    position: int
    item: Mapping[str, Any]
    decision: Decision
    score: Score

    def to_dict(self) -> dict[str, Any]:
        """The export's `decision` group: the prices (see `pricing`), the score, its
        place on the shortlist and the ad flag."""
        return {
            **self.decision.to_dict(),
            "score": self.score.total,
            "shortlist": self.score.shortlist,
            "ad": self.score.ad,
        }


def judge_row(
    matches: Sequence[tuple[int, Mapping[str, Any]]],
    columns: Mapping[str, Any],
    terms: Terms,
    *,
    shortlist: int = SHORTLIST,
) -> list[Judged]:
    """Every match of one input row (`(position, item)` in the API's order), priced at the
    row's quantity (`columns`: the row's catalogue columns) and scored."""
    items = [item if isinstance(item, Mapping) else {} for _, item in matches]
    qty, sell = terms.qty_for(columns), terms.sell_price_for(columns)
    decisions = [decide_at(item, terms, qty, sell) for item in items]
    scores = score_matches(items, decisions, shortlist=shortlist)
    return [
        Judged(position, item, decision, score)
        for (position, _), item, decision, score in zip(
            matches, items, decisions, scores, strict=True
        )
    ]
