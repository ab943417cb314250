from enum import StrEnum


class SearchApiEndpoint(StrEnum):
    VALUE_0 = "/search/image"
    VALUE_1 = "/global/search/image"
    VALUE_2 = "/global/search/image/v2"

    def __str__(self) -> str:
        return str(self.value)
