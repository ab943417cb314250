from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.shop_score_info import ShopScoreInfo
from ..types import UNSET, Unset

T = TypeVar("T", bound="ShopInfoV2")


@_attrs_define
class ShopInfoV2:
    """The seller's shop, as the V2 search describes it (no `member_id` in the vendor's example).

    Attributes:
        company_name (str | Unset): Company name of the seller.
        is_powerful_seller (bool | Unset): Whether the seller is flagged as a "powerful seller".
        is_super_factory (bool | Unset): Whether the seller is a "super factory".
        shop_years (int | Unset): Years the shop has been open on 1688.
        score_info (None | ShopScoreInfo | Unset): The shop's scores.
    """

    company_name: str | Unset = UNSET
    is_powerful_seller: bool | Unset = UNSET
    is_super_factory: bool | Unset = UNSET
    shop_years: int | Unset = UNSET
    score_info: None | ShopScoreInfo | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        company_name = self.company_name

        is_powerful_seller = self.is_powerful_seller

        is_super_factory = self.is_super_factory

        shop_years = self.shop_years

        score_info: dict[str, Any] | None | Unset
        if isinstance(self.score_info, Unset):
            score_info = UNSET
        elif isinstance(self.score_info, ShopScoreInfo):
            score_info = self.score_info.to_dict()
        else:
            score_info = self.score_info

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if company_name is not UNSET:
            field_dict["company_name"] = company_name
        if is_powerful_seller is not UNSET:
            field_dict["is_powerful_seller"] = is_powerful_seller
        if is_super_factory is not UNSET:
            field_dict["is_super_factory"] = is_super_factory
        if shop_years is not UNSET:
            field_dict["shop_years"] = shop_years
        if score_info is not UNSET:
            field_dict["score_info"] = score_info

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        company_name = d.pop("company_name", UNSET)

        is_powerful_seller = d.pop("is_powerful_seller", UNSET)

        is_super_factory = d.pop("is_super_factory", UNSET)

        shop_years = d.pop("shop_years", UNSET)

        score_info = d.pop("score_info", UNSET)
        if isinstance(score_info, dict):
            try:
                score_info_type_0 = ShopScoreInfo.from_dict(score_info)

                score_info = score_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        shop_info_v2 = cls(
            company_name,
            is_powerful_seller,
            is_super_factory,
            shop_years,
            score_info,
        )

        shop_info_v2.additional_properties = d
        return shop_info_v2

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
