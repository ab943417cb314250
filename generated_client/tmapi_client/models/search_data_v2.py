from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.search_data_v2_filters import SearchDataV2Filters
from ..models.search_item_v2 import SearchItemV2
from ..types import UNSET, Unset

T = TypeVar("T", bound="SearchDataV2")


@_attrs_define
class SearchDataV2:
    """One page of V2 search results.

    Attributes:
        page (int): The page number of this answer.
        page_size (int): Number of items in this answer (10 in the vendor's example).
        total_count (int): Total number of matching items across all pages.
        items (list[SearchItemV2]): The products found on this page (may be empty).
        keyword (str | Unset): Keyword of the search (empty in the vendor's example).
        sort (str | Unset): The sort order applied. Known values: default, sales, price_up, price_down. A plain string
            in responses so that a new value never breaks parsing.
        cat_id (Any | Unset): Category id of the search; null in the vendor's example, type not documented.
        filters (SearchDataV2Filters | Unset): The filters applied (the vendor's example shows `{"price_start": "2"}`):
            the price range as decimal strings; other keys are accepted as they come.
        has_next_page (bool | Unset): Whether a further page exists.
    """

    page: int
    page_size: int
    total_count: int
    items: list[SearchItemV2]
    keyword: str | Unset = UNSET
    sort: str | Unset = UNSET
    cat_id: Any | Unset = UNSET
    filters: SearchDataV2Filters | Unset = UNSET
    has_next_page: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        page = self.page

        page_size = self.page_size

        total_count = self.total_count

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        keyword = self.keyword

        sort = self.sort

        cat_id = self.cat_id

        filters: dict[str, Any] | Unset = UNSET
        if not isinstance(self.filters, Unset):
            filters = self.filters.to_dict()

        has_next_page = self.has_next_page

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
        if keyword is not UNSET:
            field_dict["keyword"] = keyword
        if sort is not UNSET:
            field_dict["sort"] = sort
        if cat_id is not UNSET:
            field_dict["cat_id"] = cat_id
        if filters is not UNSET:
            field_dict["filters"] = filters
        if has_next_page is not UNSET:
            field_dict["has_next_page"] = has_next_page

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
            items_item = SearchItemV2.from_dict(items_item_data)

            items.append(items_item)

        keyword = d.pop("keyword", UNSET)

        sort = d.pop("sort", UNSET)

        cat_id = d.pop("cat_id", UNSET)

        _filters = d.pop("filters", UNSET)
        filters: SearchDataV2Filters | Unset
        if isinstance(_filters, Unset):
            filters = UNSET
        else:
            filters = SearchDataV2Filters.from_dict(_filters)

        has_next_page = d.pop("has_next_page", UNSET)

        search_data_v2 = cls(
            page,
            page_size,
            total_count,
            items,
            keyword,
            sort,
            cat_id,
            filters,
            has_next_page,
        )

        search_data_v2.additional_properties = d
        return search_data_v2

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
