from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DeliveryInfoV2")


@_attrs_define
class DeliveryInfoV2:
    """Shipping origin and flags of a V2 item.

    Attributes:
        area_from (list[str] | Unset): Shipping origin, from province to city (in Chinese in the vendor's example).
        free_shipping (bool | Unset): Whether shipping is free.
        ship_in_48h (bool | Unset): Whether the product ships within 48 hours.
    """

    area_from: list[str] | Unset = UNSET
    free_shipping: bool | Unset = UNSET
    ship_in_48h: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        area_from: list[str] | Unset = UNSET
        if not isinstance(self.area_from, Unset):
            area_from = self.area_from

        free_shipping = self.free_shipping

        ship_in_48h = self.ship_in_48h

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if area_from is not UNSET:
            field_dict["area_from"] = area_from
        if free_shipping is not UNSET:
            field_dict["free_shipping"] = free_shipping
        if ship_in_48h is not UNSET:
            field_dict["ship_in_48h"] = ship_in_48h

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        area_from = cast("list[str]", d.pop("area_from", UNSET))

        free_shipping = d.pop("free_shipping", UNSET)

        ship_in_48h = d.pop("ship_in_48h", UNSET)

        delivery_info_v2 = cls(
            area_from,
            free_shipping,
            ship_in_48h,
        )

        delivery_info_v2.additional_properties = d
        return delivery_info_v2

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
