from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SearchDataV2Filters")


@_attrs_define
class SearchDataV2Filters:
    """The filters applied (the vendor's example shows `{"price_start": "2"}`): the price range as decimal strings; other
    keys are accepted as they come.

        Attributes:
            price_start (str | Unset): Lowest price of the search's price filter, as a decimal string (for example "2").
            price_end (str | Unset): Highest price of the search's price filter, as a decimal string.
    """

    price_start: str | Unset = UNSET
    price_end: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        price_start = self.price_start

        price_end = self.price_end

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if price_start is not UNSET:
            field_dict["price_start"] = price_start
        if price_end is not UNSET:
            field_dict["price_end"] = price_end

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        price_start = d.pop("price_start", UNSET)

        price_end = d.pop("price_end", UNSET)

        search_data_v2_filters = cls(
            price_start,
            price_end,
        )

        search_data_v2_filters.additional_properties = d
        return search_data_v2_filters

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
