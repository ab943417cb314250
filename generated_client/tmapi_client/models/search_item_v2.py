from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.delivery_info_v2 import DeliveryInfoV2
from ..models.price_info_v2 import PriceInfoV2
from ..models.sale_info_v2 import SaleInfoV2
from ..models.shop_info_v2 import ShopInfoV2
from ..types import UNSET, Unset

T = TypeVar("T", bound="SearchItemV2")


@_attrs_define
class SearchItemV2:
    """One 1688 product found by the V2 image search.

    Attributes:
        item_id (int): The 1688 offer id of the product.
        product_url (str | Unset): URL of the product page on 1688 (https://detail.1688.com/offer/ID.html).
        title (str | Unset): Product title translated into the requested language.
        title_origin (str | Unset): Original (Chinese) product title.
        img (str | Unset): URL of the product's main image.
        category_path (list[str] | Unset): Category ids from the root category to the product's leaf category.
        price (str | Unset): Price, as a decimal string (for example "60.00"), in `currency`.
        price_info (None | PriceInfoV2 | Unset): Price details (decimal strings).
        currency (str | Unset): Currency of the prices (CNY in the vendor's example).
        moq (Any | Unset): Minimum order quantity; null in the vendor's example, type not documented.
        sale_info (None | SaleInfoV2 | Unset): Sales figures.
        delivery_info (DeliveryInfoV2 | None | Unset): Shipping origin and shipping flags.
        shop_info (None | ShopInfoV2 | Unset): The seller's shop.
        item_repurchase_rate (str | Unset): Repurchase rate of the product, as a percentage string (for example "0%").
        low_refund_rate (bool | Unset): Whether the product has a low refund rate.
        ship_in_48h (bool | Unset): Whether the product ships within 48 hours.
        one_piece_min_order (bool | Unset): Whether a single piece can be ordered.
    """

    item_id: int
    product_url: str | Unset = UNSET
    title: str | Unset = UNSET
    title_origin: str | Unset = UNSET
    img: str | Unset = UNSET
    category_path: list[str] | Unset = UNSET
    price: str | Unset = UNSET
    price_info: None | PriceInfoV2 | Unset = UNSET
    currency: str | Unset = UNSET
    moq: Any | Unset = UNSET
    sale_info: None | SaleInfoV2 | Unset = UNSET
    delivery_info: DeliveryInfoV2 | None | Unset = UNSET
    shop_info: None | ShopInfoV2 | Unset = UNSET
    item_repurchase_rate: str | Unset = UNSET
    low_refund_rate: bool | Unset = UNSET
    ship_in_48h: bool | Unset = UNSET
    one_piece_min_order: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        item_id = self.item_id

        product_url = self.product_url

        title = self.title

        title_origin = self.title_origin

        img = self.img

        category_path: list[str] | Unset = UNSET
        if not isinstance(self.category_path, Unset):
            category_path = self.category_path

        price = self.price

        price_info: dict[str, Any] | None | Unset
        if isinstance(self.price_info, Unset):
            price_info = UNSET
        elif isinstance(self.price_info, PriceInfoV2):
            price_info = self.price_info.to_dict()
        else:
            price_info = self.price_info

        currency = self.currency

        moq = self.moq

        sale_info: dict[str, Any] | None | Unset
        if isinstance(self.sale_info, Unset):
            sale_info = UNSET
        elif isinstance(self.sale_info, SaleInfoV2):
            sale_info = self.sale_info.to_dict()
        else:
            sale_info = self.sale_info

        delivery_info: dict[str, Any] | None | Unset
        if isinstance(self.delivery_info, Unset):
            delivery_info = UNSET
        elif isinstance(self.delivery_info, DeliveryInfoV2):
            delivery_info = self.delivery_info.to_dict()
        else:
            delivery_info = self.delivery_info

        shop_info: dict[str, Any] | None | Unset
        if isinstance(self.shop_info, Unset):
            shop_info = UNSET
        elif isinstance(self.shop_info, ShopInfoV2):
            shop_info = self.shop_info.to_dict()
        else:
            shop_info = self.shop_info

        item_repurchase_rate = self.item_repurchase_rate

        low_refund_rate = self.low_refund_rate

        ship_in_48h = self.ship_in_48h

        one_piece_min_order = self.one_piece_min_order

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "item_id": item_id,
            }
        )
        if product_url is not UNSET:
            field_dict["product_url"] = product_url
        if title is not UNSET:
            field_dict["title"] = title
        if title_origin is not UNSET:
            field_dict["title_origin"] = title_origin
        if img is not UNSET:
            field_dict["img"] = img
        if category_path is not UNSET:
            field_dict["category_path"] = category_path
        if price is not UNSET:
            field_dict["price"] = price
        if price_info is not UNSET:
            field_dict["price_info"] = price_info
        if currency is not UNSET:
            field_dict["currency"] = currency
        if moq is not UNSET:
            field_dict["moq"] = moq
        if sale_info is not UNSET:
            field_dict["sale_info"] = sale_info
        if delivery_info is not UNSET:
            field_dict["delivery_info"] = delivery_info
        if shop_info is not UNSET:
            field_dict["shop_info"] = shop_info
        if item_repurchase_rate is not UNSET:
            field_dict["item_repurchase_rate"] = item_repurchase_rate
        if low_refund_rate is not UNSET:
            field_dict["low_refund_rate"] = low_refund_rate
        if ship_in_48h is not UNSET:
            field_dict["ship_in_48h"] = ship_in_48h
        if one_piece_min_order is not UNSET:
            field_dict["one_piece_min_order"] = one_piece_min_order

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        item_id = d.pop("item_id")

        product_url = d.pop("product_url", UNSET)

        title = d.pop("title", UNSET)

        title_origin = d.pop("title_origin", UNSET)

        img = d.pop("img", UNSET)

        category_path = cast("list[str]", d.pop("category_path", UNSET))

        price = d.pop("price", UNSET)

        price_info = d.pop("price_info", UNSET)
        if isinstance(price_info, dict):
            try:
                price_info_type_0 = PriceInfoV2.from_dict(price_info)

                price_info = price_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        currency = d.pop("currency", UNSET)

        moq = d.pop("moq", UNSET)

        sale_info = d.pop("sale_info", UNSET)
        if isinstance(sale_info, dict):
            try:
                sale_info_type_0 = SaleInfoV2.from_dict(sale_info)

                sale_info = sale_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        delivery_info = d.pop("delivery_info", UNSET)
        if isinstance(delivery_info, dict):
            try:
                delivery_info_type_0 = DeliveryInfoV2.from_dict(delivery_info)

                delivery_info = delivery_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        shop_info = d.pop("shop_info", UNSET)
        if isinstance(shop_info, dict):
            try:
                shop_info_type_0 = ShopInfoV2.from_dict(shop_info)

                shop_info = shop_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        item_repurchase_rate = d.pop("item_repurchase_rate", UNSET)

        low_refund_rate = d.pop("low_refund_rate", UNSET)

        ship_in_48h = d.pop("ship_in_48h", UNSET)

        one_piece_min_order = d.pop("one_piece_min_order", UNSET)

        search_item_v2 = cls(
            item_id,
            product_url,
            title,
            title_origin,
            img,
            category_path,
            price,
            price_info,
            currency,
            moq,
            sale_info,
            delivery_info,
            shop_info,
            item_repurchase_rate,
            low_refund_rate,
            ship_in_48h,
            one_piece_min_order,
        )

        search_item_v2.additional_properties = d
        return search_item_v2

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
