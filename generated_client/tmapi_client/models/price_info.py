from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PriceInfo")


@_attrs_define
class PriceInfo:
    """Price details, each a decimal string in CNY.

    Attributes:
        drop_ship_price (str | Unset): Dropshipping price.
        wholesale_price (str | Unset): Wholesale price.
        origin_price (str | Unset): Original (list) price.
    """

    drop_ship_price: str | Unset = UNSET
    wholesale_price: str | Unset = UNSET
    origin_price: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        drop_ship_price = self.drop_ship_price

        wholesale_price = self.wholesale_price

        origin_price = self.origin_price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if drop_ship_price is not UNSET:
            field_dict["drop_ship_price"] = drop_ship_price
        if wholesale_price is not UNSET:
            field_dict["wholesale_price"] = wholesale_price
        if origin_price is not UNSET:
            field_dict["origin_price"] = origin_price

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        drop_ship_price = d.pop("drop_ship_price", UNSET)

        wholesale_price = d.pop("wholesale_price", UNSET)

        origin_price = d.pop("origin_price", UNSET)

        price_info = cls(
            drop_ship_price,
            wholesale_price,
            origin_price,
        )

        price_info.additional_properties = d
        return price_info

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
