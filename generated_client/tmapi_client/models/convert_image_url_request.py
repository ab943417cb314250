from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.search_api_endpoint import SearchApiEndpoint
from ..types import UNSET, Unset

T = TypeVar("T", bound="ConvertImageUrlRequest")


@_attrs_define
class ConvertImageUrlRequest:
    """Body of the image URL conversion.

    Attributes:
        url (str): The image URL to convert (any publicly reachable image).
        search_api_endpoint (SearchApiEndpoint | Unset): The search endpoint the converted URL will be used with. For
            the multilingual search (`search_items_by_image`) this is `/global/search/image`; for the V2 search
            (`search_items_by_image_v2`), `/global/search/image/v2`.
    """

    url: str
    search_api_endpoint: SearchApiEndpoint | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        search_api_endpoint: str | Unset = UNSET
        if not isinstance(self.search_api_endpoint, Unset):
            search_api_endpoint = self.search_api_endpoint.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
            }
        )
        if search_api_endpoint is not UNSET:
            field_dict["search_api_endpoint"] = search_api_endpoint

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        url = d.pop("url")

        _search_api_endpoint = d.pop("search_api_endpoint", UNSET)
        search_api_endpoint: SearchApiEndpoint | Unset
        if isinstance(_search_api_endpoint, Unset):
            search_api_endpoint = UNSET
        else:
            search_api_endpoint = SearchApiEndpoint(_search_api_endpoint)

        convert_image_url_request = cls(
            url,
            search_api_endpoint,
        )

        convert_image_url_request.additional_properties = d
        return convert_image_url_request

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
