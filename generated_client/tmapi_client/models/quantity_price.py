from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QuantityPrice")


@_attrs_define
class QuantityPrice:
    """One price tier by order quantity.

    Attributes:
        begin_num (str | Unset): Lowest quantity of the tier, as a string (for example "1").
        end_num (str | Unset): Highest quantity of the tier, as a string; empty when the tier is open-ended.
        price (str | Unset): Unit price in the tier, as a decimal string in CNY.
    """

    begin_num: str | Unset = UNSET
    end_num: str | Unset = UNSET
    price: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        begin_num = self.begin_num

        end_num = self.end_num

        price = self.price

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if begin_num is not UNSET:
            field_dict["begin_num"] = begin_num
        if end_num is not UNSET:
            field_dict["end_num"] = end_num
        if price is not UNSET:
            field_dict["price"] = price

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        begin_num = d.pop("begin_num", UNSET)

        end_num = d.pop("end_num", UNSET)

        price = d.pop("price", UNSET)

        quantity_price = cls(
            begin_num,
            end_num,
            price,
        )

        quantity_price.additional_properties = d
        return quantity_price

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
