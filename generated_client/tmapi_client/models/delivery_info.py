from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DeliveryInfo")


@_attrs_define
class DeliveryInfo:
    """Shipping origin and weight of the product.

    Attributes:
        area_from (list[str] | Unset): Shipping origin, from province to district.
        weight (float | Unset): Gross weight (0 when unknown).
        suttle_weight (float | Unset): Net weight (0 when unknown).
        free_postage (bool | Unset): Whether shipping is free.
    """

    area_from: list[str] | Unset = UNSET
    weight: float | Unset = UNSET
    suttle_weight: float | Unset = UNSET
    free_postage: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        area_from: list[str] | Unset = UNSET
        if not isinstance(self.area_from, Unset):
            area_from = self.area_from

        weight = self.weight

        suttle_weight = self.suttle_weight

        free_postage = self.free_postage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if area_from is not UNSET:
            field_dict["area_from"] = area_from
        if weight is not UNSET:
            field_dict["weight"] = weight
        if suttle_weight is not UNSET:
            field_dict["suttle_weight"] = suttle_weight
        if free_postage is not UNSET:
            field_dict["free_postage"] = free_postage

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        area_from = cast("list[str]", d.pop("area_from", UNSET))

        weight = d.pop("weight", UNSET)

        suttle_weight = d.pop("suttle_weight", UNSET)

        free_postage = d.pop("free_postage", UNSET)

        delivery_info = cls(
            area_from,
            weight,
            suttle_weight,
            free_postage,
        )

        delivery_info.additional_properties = d
        return delivery_info

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
