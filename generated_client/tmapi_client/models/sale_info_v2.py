from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SaleInfoV2")


@_attrs_define
class SaleInfoV2:
    """Sales figures of a V2 item (counts as strings, as the vendor sends them).

    Attributes:
        sale_quantity_90days (str | Unset): Units sold in the last 90 days, as a string (for example "0").
    """

    sale_quantity_90days: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sale_quantity_90days = self.sale_quantity_90days

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if sale_quantity_90days is not UNSET:
            field_dict["sale_quantity_90days"] = sale_quantity_90days

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        sale_quantity_90days = d.pop("sale_quantity_90days", UNSET)

        sale_info_v2 = cls(
            sale_quantity_90days,
        )

        sale_info_v2.additional_properties = d
        return sale_info_v2

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
