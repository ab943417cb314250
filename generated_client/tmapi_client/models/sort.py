from enum import StrEnum


class Sort(StrEnum):
    DEFAULT = "default"
    PRICE_DOWN = "price_down"
    PRICE_UP = "price_up"
    SALES = "sales"

    def __str__(self) -> str:
        return str(self.value)
