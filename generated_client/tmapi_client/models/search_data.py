from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.search_data_filters import SearchDataFilters
from ..models.search_item import SearchItem
from ..types import UNSET, Unset

T = TypeVar("T", bound="SearchData")


@_attrs_define
class SearchData:
    """One page of search results.

    Attributes:
        page (int): The page number of this answer.
        page_size (int): Number of items in this answer (the vendor's example shows 2 with total_count 666): it may be
            smaller than the requested page size on a page that is not the last one.
        total_count (int): Total number of matching items across all pages.
        items (list[SearchItem]): The products found on this page (may be empty).
        sort (str | Unset): The sort order applied. Known values: default, sales, price_up, price_down. A plain string
            in responses so that a new value never breaks parsing.
        filters (SearchDataFilters | Unset): The filters applied (the vendor's example shows an empty object). Shape not
            documented; kept as a free-form object.
    """

    page: int
    page_size: int
    total_count: int
    items: list[SearchItem]
    sort: str | Unset = UNSET
    filters: SearchDataFilters | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        page = self.page

        page_size = self.page_size

        total_count = self.total_count

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        sort = self.sort

        filters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.filters, Unset):
            filters = self.filters.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "page": page,
                "page_size": page_size,
                "total_count": total_count,
                "items": items,
            }
        )
        if sort is not UNSET:
            field_dict["sort"] = sort
        if filters is not UNSET:
            field_dict["filters"] = filters

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        page = d.pop("page")

        page_size = d.pop("page_size")

        total_count = d.pop("total_count")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = SearchItem.from_dict(items_item_data)

            items.append(items_item)

        sort = d.pop("sort", UNSET)

        _filters = d.pop("filters", UNSET)
        filters: SearchDataFilters | Unset
        if isinstance(_filters, Unset):
            filters = UNSET
        else:
            filters = SearchDataFilters.from_dict(_filters)

        search_data = cls(
            page,
            page_size,
            total_count,
            items,
            sort,
            filters,
        )

        search_data.additional_properties = d
        return search_data

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
