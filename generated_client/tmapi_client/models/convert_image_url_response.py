from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.converted_image import ConvertedImage

T = TypeVar("T", bound="ConvertImageUrlResponse")


@_attrs_define
class ConvertImageUrlResponse:
    """Envelope of a successful conversion.

    Attributes:
        code (int): 200 on success. Any other value is an error code (see ErrorResponse).
        msg (str): "success" on success, else the error message.
        data (ConvertedImage): The converted image.
    """

    code: int
    msg: str
    data: ConvertedImage
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "msg": msg,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        msg = d.pop("msg")

        data = ConvertedImage.from_dict(d.pop("data"))

        convert_image_url_response = cls(
            code,
            msg,
            data,
        )

        convert_image_url_response.additional_properties = d
        return convert_image_url_response

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
