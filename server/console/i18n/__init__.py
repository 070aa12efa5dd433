"""The console's languages: zh-CN first (DOMAIN.md), English on request. One message catalogue per language
(``zh_cn.py``, ``en.py``) with the same keys; ``{name}`` is a parameter. A missing key shows itself, so a
gap is seen instead of hidden, and ``tests/server/test_console.py`` checks both catalogues have every key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from server.console.i18n.en import MESSAGES as EN
from server.console.i18n.zh_cn import MESSAGES as ZH_CN
from server.services.members import MemberError

__all__ = ["CATALOGUES", "DEFAULT_LANG", "LANGUAGES", "Translator", "error_text", "pick_lang", "translator"]

DEFAULT_LANG = "zh-CN"
CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh-CN": ZH_CN, "en": EN}
LANGUAGES = tuple(CATALOGUES)

Translator = Callable[..., str]


def pick_lang(*candidates: str | None) -> str:
    """The first supported language among ``candidates`` (query parameter, then cookie), else zh-CN."""
    for candidate in candidates:
        if candidate is not None and candidate in CATALOGUES:
            return candidate
    return DEFAULT_LANG


def translator(lang: str) -> Translator:
    catalogue, fallback = CATALOGUES[pick_lang(lang)], CATALOGUES[DEFAULT_LANG]

    def t(key: str, **params: object) -> str:
        text = catalogue.get(key) or fallback.get(key) or key
        return text.format(**params) if params else text

    return t


def error_text(error: MemberError, lang: str) -> str:
    """A refused change for people: our wording of its code, else the service's own message."""
    key = f"error.{error.code}"
    if key in CATALOGUES[pick_lang(lang)]:
        return translator(lang)(key)
    return error.message_zh if pick_lang(lang) == DEFAULT_LANG else error.message
