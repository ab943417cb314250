from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PriceInfoV2")


@_attrs_define
class PriceInfoV2:
    """Price details of a V2 item, each a decimal string ("" when unknown).

    Attributes:
        price (str | Unset): Price.
        sale_price (str | Unset): Sale price.
        origin_price (str | Unset): Original (list) price; empty in the vendor's example.
    """

    price: str | Unset = UNSET
    sale_price: str | Unset = UNSET
    origin_price: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        price = self.price

        sale_price = self.sale_price

        origin_price = self.origin_price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if price is not UNSET:
            field_dict["price"] = price
        if sale_price is not UNSET:
            field_dict["sale_price"] = sale_price
        if origin_price is not UNSET:
            field_dict["origin_price"] = origin_price

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        price = d.pop("price", UNSET)

        sale_price = d.pop("sale_price", UNSET)

        origin_price = d.pop("origin_price", UNSET)

        price_info_v2 = cls(
            price,
            sale_price,
            origin_price,
        )

        price_info_v2.additional_properties = d
        return price_info_v2

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
