from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SaleInfo")


@_attrs_define
class SaleInfo:
    """Sales figures of the product.

    Attributes:
        gmv_fuzzy (str | Unset): Rounded sales volume as shown on 1688 (for example "50+").
        gmv_30days (float | Unset): Gross merchandise value over the last 30 days.
        gmv_30days_cb (float | Unset): Cross-border gross merchandise value over the last 30 days.
        sale_quantity (int | Unset): Units sold in total.
        sale_quantity_month (int | Unset): Units sold in the last 30 days.
        sale_quantity_90days (int | Unset): Units sold in the last 90 days.
        sale_quantity_360days (int | Unset): Units sold in the last 360 days.
        orders_count (int | Unset): Number of orders.
    """

    gmv_fuzzy: str | Unset = UNSET
    gmv_30days: float | Unset = UNSET
    gmv_30days_cb: float | Unset = UNSET
    sale_quantity: int | Unset = UNSET
    sale_quantity_month: int | Unset = UNSET
    sale_quantity_90days: int | Unset = UNSET
    sale_quantity_360days: int | Unset = UNSET
    orders_count: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        gmv_fuzzy = self.gmv_fuzzy

        gmv_30days = self.gmv_30days

        gmv_30days_cb = self.gmv_30days_cb

        sale_quantity = self.sale_quantity

        sale_quantity_month = self.sale_quantity_month

        sale_quantity_90days = self.sale_quantity_90days

        sale_quantity_360days = self.sale_quantity_360days

        orders_count = self.orders_count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if gmv_fuzzy is not UNSET:
            field_dict["gmv_fuzzy"] = gmv_fuzzy
        if gmv_30days is not UNSET:
            field_dict["gmv_30days"] = gmv_30days
        if gmv_30days_cb is not UNSET:
            field_dict["gmv_30days_cb"] = gmv_30days_cb
        if sale_quantity is not UNSET:
            field_dict["sale_quantity"] = sale_quantity
        if sale_quantity_month is not UNSET:
            field_dict["sale_quantity_month"] = sale_quantity_month
        if sale_quantity_90days is not UNSET:
            field_dict["sale_quantity_90days"] = sale_quantity_90days
        if sale_quantity_360days is not UNSET:
            field_dict["sale_quantity_360days"] = sale_quantity_360days
        if orders_count is not UNSET:
            field_dict["orders_count"] = orders_count

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        gmv_fuzzy = d.pop("gmv_fuzzy", UNSET)

        gmv_30days = d.pop("gmv_30days", UNSET)

        gmv_30days_cb = d.pop("gmv_30days_cb", UNSET)

        sale_quantity = d.pop("sale_quantity", UNSET)

        sale_quantity_month = d.pop("sale_quantity_month", UNSET)

        sale_quantity_90days = d.pop("sale_quantity_90days", UNSET)

        sale_quantity_360days = d.pop("sale_quantity_360days", UNSET)

        orders_count = d.pop("orders_count", UNSET)

        sale_info = cls(
            gmv_fuzzy,
            gmv_30days,
            gmv_30days_cb,
            sale_quantity,
            sale_quantity_month,
            sale_quantity_90days,
            sale_quantity_360days,
            orders_count,
        )

        sale_info.additional_properties = d
        return sale_info

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
