"""Answers whose offers come from named shops with price tiers (the stand-in's shop mode).

The contract's documented search page (`vendor_two_items`) with its items replaced by
copies of its first item, each given a shop, an offer id, an MOQ and price tiers --
every other field stays the vendor's. Used by `LocalTmapiServer(offers_by_url=...)`
and usable with `mock_tmapi` too (`shop_page(...)` is a plain search answer):

    ShopOffer("acme", tiers=[(1, 99, "10.00"), (100, None, "8.00")], moq=2)
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tmapi_search import spec

__all__ = ["ShopOffer", "shop_page"]


@dataclass(frozen=True, slots=True)
class ShopOffer:
    """One offer of a named shop: member id `b2b-<shop>`, company `<shop>`, shop URL
    `https://<shop>.1688.com`. `tiers`: (begin, end or None, price) -> quantity_prices;
    `price`: the offer's price (default: the first tier's). `item_id`: default, one
    derived from the shop and `sku` (the same for the same pair)."""

    shop: str
    tiers: Sequence[tuple[int, int | None, str]] = ()
    moq: int = 1
    price: str | None = None
    factory: bool = False
    tp_year: int = 5
    sales_90d: int = 10
    repurchase: str = "0.0"
    is_ad: bool = False
    shop_repurchase: str = "11.2%"
    location: Sequence[str] = ("Guangdong", "Futian District, Shenzhen")
    item_id: int | None = None
    sku: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def offer_id(self) -> int:
        if self.item_id is not None:
            return self.item_id
        return 600_000_000_000 + zlib.crc32(f"{self.shop}/{self.sku}".encode())


def shop_page(offers: Sequence[ShopOffer]) -> dict[str, Any]:
    """A search answer (v1) with these offers, in this order."""
    body: dict[str, Any] = copy.deepcopy(spec.response_example(name="vendor_two_items"))
    template = body["data"]["items"][0]
    items = []
    for offer in offers:
        item = copy.deepcopy(template)
        number = offer.offer_id()
        tiers = [
            {"begin_num": str(begin), "end_num": "" if end is None else str(end), "price": price}
            for begin, end, price in offer.tiers
        ]
        price = offer.price or (tiers[0]["price"] if tiers else template["price"])
        item.update(
            item_id=number,
            product_url=f"https://detail.1688.com/offer/{number}.html",
            title=f"{offer.shop} offer {offer.sku}".strip(),
            price=price,
            quantity_begin=offer.moq,
            quantity_prices=tiers,
            item_repurchase_rate=offer.repurchase,
        )
        item["sale_info"]["sale_quantity_90days"] = offer.sales_90d
        item["shop_info"].update(
            member_id=f"b2b-{offer.shop}",
            company_name=offer.shop,
            shop_url=f"https://{offer.shop}.1688.com",
            is_factory=offer.factory,
            tp_year=offer.tp_year,
            shop_repurchase_rate=offer.shop_repurchase,
            location=list(offer.location),
        )
        if offer.is_ad:
            item["is_ad"] = True  # not in the contract: how an answer would mark an ad
        item.update(offer.extra)
        items.append(item)
    body["data"].update(items=items, page_size=len(items), total_count=len(items))
    return body
