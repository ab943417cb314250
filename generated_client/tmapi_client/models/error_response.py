from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorResponse")


@_attrs_define
class ErrorResponse:
    """Body of an error: the error code and the vendor's message, under `msg` (the shape of the docs' success body, assumed
    for the documented codes) or `message` (the one error body observed live: the 401 `{code: 4011, message: ...}`); at
    least one of the two. `data` is optional and its shape undocumented.

        Attributes:
            code (int): Error code: 4011 no API key found (HTTP 401), 417 data retrieval failed (transient), 422 parameter
                error, 439 subscription expired or insufficient balance, 499 upstream timeout (transient), 500 unexpected error,
                503 concurrency limit exceeded (transient).
            msg (str | Unset): The vendor's message for the code (documented shape).
            message (str | Unset): The vendor's message for the code (observed shape of the 401).
            data (Any | Unset): Optional extra data; its shape is not documented.
    """

    code: int
    msg: str | Unset = UNSET
    message: str | Unset = UNSET
    data: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        message = self.message

        data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
            }
        )
        if msg is not UNSET:
            field_dict["msg"] = msg
        if message is not UNSET:
            field_dict["message"] = message
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg", UNSET)

        message = d.pop("message", UNSET)

        data = d.pop("data", UNSET)

        error_response = cls(
            code,
            msg,
            message,
            data,
        )

        error_response.additional_properties = d
        return error_response

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
