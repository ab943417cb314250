from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.delivery_info import DeliveryInfo
from ..models.price_info import PriceInfo
from ..models.quantity_price import QuantityPrice
from ..models.sale_info import SaleInfo
from ..models.shop_info import ShopInfo
from ..types import UNSET, Unset

T = TypeVar("T", bound="SearchItem")


@_attrs_define
class SearchItem:
    """One 1688 product found by the image search.

    Attributes:
        item_id (int): The 1688 offer id of the product.
        product_url (str | Unset): URL of the product page on 1688 (https://detail.1688.com/offer/ID.html).
        title (str | Unset): Product title translated into the requested language.
        title_origin (str | Unset): Original (Chinese) product title.
        img (str | Unset): URL of the product's main image.
        category_path (list[str] | Unset): Category ids from the root category to the product's leaf category.
        price (str | Unset): Price in CNY, as a decimal string (for example "19.00").
        price_info (None | PriceInfo | Unset): Price details (decimal strings, CNY).
        brand (str | Unset): Brand name, as given by the seller (may be Chinese).
        title_tags (list[str] | Unset): Marketing tags shown with the title (for example "1688严选"); may be empty.
        quantity_begin (int | Unset): Minimum order quantity.
        quantity_prices (list[QuantityPrice] | Unset): Tiered prices by order quantity; may be empty.
        sale_info (None | SaleInfo | Unset): Sales figures.
        type_ (str | Unset): Product type. Known value: normal. A plain string in responses so that a new value never
            breaks parsing.
        delivery_info (DeliveryInfo | None | Unset): Shipping origin and weight.
        item_repurchase_rate (str | Unset): Repurchase rate of the product, as a decimal string (for example "0.5").
        goods_score (float | Unset): Product score given by 1688.
        image_dsm_score (float | Unset): Image similarity score (0 in the vendor's example).
        primary_rank_score (float | Unset): Ranking score (0 in the vendor's example).
        super_new_product (bool | Unset): Whether the product is flagged as a new arrival.
        shop_info (None | ShopInfo | Unset): The seller's shop.
    """

    item_id: int
    product_url: str | Unset = UNSET
    title: str | Unset = UNSET
    title_origin: str | Unset = UNSET
    img: str | Unset = UNSET
    category_path: list[str] | Unset = UNSET
    price: str | Unset = UNSET
    price_info: None | PriceInfo | Unset = UNSET
    brand: str | Unset = UNSET
    title_tags: list[str] | Unset = UNSET
    quantity_begin: int | Unset = UNSET
    quantity_prices: list[QuantityPrice] | Unset = UNSET
    sale_info: None | SaleInfo | Unset = UNSET
    type_: str | Unset = UNSET
    delivery_info: DeliveryInfo | None | Unset = UNSET
    item_repurchase_rate: str | Unset = UNSET
    goods_score: float | Unset = UNSET
    image_dsm_score: float | Unset = UNSET
    primary_rank_score: float | Unset = UNSET
    super_new_product: bool | Unset = UNSET
    shop_info: None | ShopInfo | Unset = UNSET
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
        elif isinstance(self.price_info, PriceInfo):
            price_info = self.price_info.to_dict()
        else:
            price_info = self.price_info

        brand = self.brand

        title_tags: list[str] | Unset = UNSET
        if not isinstance(self.title_tags, Unset):
            title_tags = self.title_tags

        quantity_begin = self.quantity_begin

        quantity_prices: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.quantity_prices, Unset):
            quantity_prices = []
            for quantity_prices_item_data in self.quantity_prices:
                quantity_prices_item = quantity_prices_item_data.to_dict()
                quantity_prices.append(quantity_prices_item)

        sale_info: dict[str, Any] | None | Unset
        if isinstance(self.sale_info, Unset):
            sale_info = UNSET
        elif isinstance(self.sale_info, SaleInfo):
            sale_info = self.sale_info.to_dict()
        else:
            sale_info = self.sale_info

        type_ = self.type_

        delivery_info: dict[str, Any] | None | Unset
        if isinstance(self.delivery_info, Unset):
            delivery_info = UNSET
        elif isinstance(self.delivery_info, DeliveryInfo):
            delivery_info = self.delivery_info.to_dict()
        else:
            delivery_info = self.delivery_info

        item_repurchase_rate = self.item_repurchase_rate

        goods_score = self.goods_score

        image_dsm_score = self.image_dsm_score

        primary_rank_score = self.primary_rank_score

        super_new_product = self.super_new_product

        shop_info: dict[str, Any] | None | Unset
        if isinstance(self.shop_info, Unset):
            shop_info = UNSET
        elif isinstance(self.shop_info, ShopInfo):
            shop_info = self.shop_info.to_dict()
        else:
            shop_info = self.shop_info

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
        if brand is not UNSET:
            field_dict["brand"] = brand
        if title_tags is not UNSET:
            field_dict["title_tags"] = title_tags
        if quantity_begin is not UNSET:
            field_dict["quantity_begin"] = quantity_begin
        if quantity_prices is not UNSET:
            field_dict["quantity_prices"] = quantity_prices
        if sale_info is not UNSET:
            field_dict["sale_info"] = sale_info
        if type_ is not UNSET:
            field_dict["type"] = type_
        if delivery_info is not UNSET:
            field_dict["delivery_info"] = delivery_info
        if item_repurchase_rate is not UNSET:
            field_dict["item_repurchase_rate"] = item_repurchase_rate
        if goods_score is not UNSET:
            field_dict["goods_score"] = goods_score
        if image_dsm_score is not UNSET:
            field_dict["image_dsm_score"] = image_dsm_score
        if primary_rank_score is not UNSET:
            field_dict["primary_rank_score"] = primary_rank_score
        if super_new_product is not UNSET:
            field_dict["super_new_product"] = super_new_product
        if shop_info is not UNSET:
            field_dict["shop_info"] = shop_info

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
                price_info_type_0 = PriceInfo.from_dict(price_info)

                price_info = price_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        brand = d.pop("brand", UNSET)

        title_tags = cast("list[str]", d.pop("title_tags", UNSET))

        quantity_begin = d.pop("quantity_begin", UNSET)

        _quantity_prices = d.pop("quantity_prices", UNSET)
        quantity_prices: list[QuantityPrice] | Unset = UNSET
        if _quantity_prices is not UNSET:
            quantity_prices = []
            for quantity_prices_item_data in _quantity_prices:
                quantity_prices_item = QuantityPrice.from_dict(
                    quantity_prices_item_data
                )

                quantity_prices.append(quantity_prices_item)

        sale_info = d.pop("sale_info", UNSET)
        if isinstance(sale_info, dict):
            try:
                sale_info_type_0 = SaleInfo.from_dict(sale_info)

                sale_info = sale_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        type_ = d.pop("type", UNSET)

        delivery_info = d.pop("delivery_info", UNSET)
        if isinstance(delivery_info, dict):
            try:
                delivery_info_type_0 = DeliveryInfo.from_dict(delivery_info)

                delivery_info = delivery_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        item_repurchase_rate = d.pop("item_repurchase_rate", UNSET)

        goods_score = d.pop("goods_score", UNSET)

        image_dsm_score = d.pop("image_dsm_score", UNSET)

        primary_rank_score = d.pop("primary_rank_score", UNSET)

        super_new_product = d.pop("super_new_product", UNSET)

        shop_info = d.pop("shop_info", UNSET)
        if isinstance(shop_info, dict):
            try:
                shop_info_type_0 = ShopInfo.from_dict(shop_info)

                shop_info = shop_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        search_item = cls(
            item_id,
            product_url,
            title,
            title_origin,
            img,
            category_path,
            price,
            price_info,
            brand,
            title_tags,
            quantity_begin,
            quantity_prices,
            sale_info,
            type_,
            delivery_info,
            item_repurchase_rate,
            goods_score,
            image_dsm_score,
            primary_rank_score,
            super_new_product,
            shop_info,
        )

        search_item.additional_properties = d
        return search_item

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
