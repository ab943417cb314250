from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ShopInfo")


@_attrs_define
class ShopInfo:
    """The seller's shop on 1688.

    Attributes:
        login_id (None | str | Unset): Seller's login id; null in the vendor's example.
        member_id (str | Unset): Seller's 1688 member id (for example "b2b-2407317664").
        company_name (str | Unset): Company name of the seller.
        shop_url (str | Unset): URL of the shop on 1688.
        biz_type (str | Unset): Business type, in Chinese (for example "生产加工", manufacturing).
        is_factory (bool | Unset): Whether the seller is a factory.
        is_super_factory (bool | Unset): Whether the seller is a "super factory".
        is_gold_supplier (bool | Unset): Whether the seller is a gold supplier.
        location (list[str] | Unset): Shop location, from province to district.
        service_tags (list[str] | Unset): Service promises shown on the shop (for example "7×24H响应"); may be empty.
        tp_member (bool | Unset): Whether the seller is a TrustPass member.
        tp_year (int | Unset): Years of TrustPass membership.
        factory_inspection (bool | Unset): Whether the factory passed an on-site inspection.
        shop_repurchase_rate (str | Unset): Repurchase rate of the shop, as a percentage string (for example "11.2%").
    """

    login_id: None | str | Unset = UNSET
    member_id: str | Unset = UNSET
    company_name: str | Unset = UNSET
    shop_url: str | Unset = UNSET
    biz_type: str | Unset = UNSET
    is_factory: bool | Unset = UNSET
    is_super_factory: bool | Unset = UNSET
    is_gold_supplier: bool | Unset = UNSET
    location: list[str] | Unset = UNSET
    service_tags: list[str] | Unset = UNSET
    tp_member: bool | Unset = UNSET
    tp_year: int | Unset = UNSET
    factory_inspection: bool | Unset = UNSET
    shop_repurchase_rate: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        login_id: None | str | Unset
        if isinstance(self.login_id, Unset):
            login_id = UNSET
        else:
            login_id = self.login_id

        member_id = self.member_id

        company_name = self.company_name

        shop_url = self.shop_url

        biz_type = self.biz_type

        is_factory = self.is_factory

        is_super_factory = self.is_super_factory

        is_gold_supplier = self.is_gold_supplier

        location: list[str] | Unset = UNSET
        if not isinstance(self.location, Unset):
            location = self.location

        service_tags: list[str] | Unset = UNSET
        if not isinstance(self.service_tags, Unset):
            service_tags = self.service_tags

        tp_member = self.tp_member

        tp_year = self.tp_year

        factory_inspection = self.factory_inspection

        shop_repurchase_rate = self.shop_repurchase_rate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if login_id is not UNSET:
            field_dict["login_id"] = login_id
        if member_id is not UNSET:
            field_dict["member_id"] = member_id
        if company_name is not UNSET:
            field_dict["company_name"] = company_name
        if shop_url is not UNSET:
            field_dict["shop_url"] = shop_url
        if biz_type is not UNSET:
            field_dict["biz_type"] = biz_type
        if is_factory is not UNSET:
            field_dict["is_factory"] = is_factory
        if is_super_factory is not UNSET:
            field_dict["is_super_factory"] = is_super_factory
        if is_gold_supplier is not UNSET:
            field_dict["is_gold_supplier"] = is_gold_supplier
        if location is not UNSET:
            field_dict["location"] = location
        if service_tags is not UNSET:
            field_dict["service_tags"] = service_tags
        if tp_member is not UNSET:
            field_dict["tp_member"] = tp_member
        if tp_year is not UNSET:
            field_dict["tp_year"] = tp_year
        if factory_inspection is not UNSET:
            field_dict["factory_inspection"] = factory_inspection
        if shop_repurchase_rate is not UNSET:
            field_dict["shop_repurchase_rate"] = shop_repurchase_rate

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        login_id = d.pop("login_id", UNSET)

        member_id = d.pop("member_id", UNSET)

        company_name = d.pop("company_name", UNSET)

        shop_url = d.pop("shop_url", UNSET)

        biz_type = d.pop("biz_type", UNSET)

        is_factory = d.pop("is_factory", UNSET)

        is_super_factory = d.pop("is_super_factory", UNSET)

        is_gold_supplier = d.pop("is_gold_supplier", UNSET)

        location = cast("list[str]", d.pop("location", UNSET))

        service_tags = cast("list[str]", d.pop("service_tags", UNSET))

        tp_member = d.pop("tp_member", UNSET)

        tp_year = d.pop("tp_year", UNSET)

        factory_inspection = d.pop("factory_inspection", UNSET)

        shop_repurchase_rate = d.pop("shop_repurchase_rate", UNSET)

        shop_info = cls(
            login_id,
            member_id,
            company_name,
            shop_url,
            biz_type,
            is_factory,
            is_super_factory,
            is_gold_supplier,
            location,
            service_tags,
            tp_member,
            tp_year,
            factory_inspection,
            shop_repurchase_rate,
        )

        shop_info.additional_properties = d
        return shop_info

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
