from enum import StrEnum


class LanguageV2(StrEnum):
    EN = "en"
    JA = "ja"
    KO = "ko"
    RU = "ru"
    VI = "vi"
    ZH = "zh"

    def __str__(self) -> str:
        return str(self.value)
