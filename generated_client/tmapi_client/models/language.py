from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    ES = "es"
    JA = "ja"
    KO = "ko"
    PT = "pt"
    RU = "ru"
    TH = "th"
    TR = "tr"
    VI = "vi"
    ZH = "zh"

    def __str__(self) -> str:
        return str(self.value)
