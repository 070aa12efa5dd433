"""Words for coded values, read from the record-type declaration (``server/domain/record-types.json``),
where every enum value and workflow stage already has its zh-CN and English label — so the console says
维修 / 转办 / 橙色 exactly as the phone does, and no catalogue repeats them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.domain.declaration import DECLARATION
from server.domain.indexing import LOCAL_TZ

__all__ = ["Labels", "ms_time", "span"]


class Labels:
    """``labels.value("request", "category", "repair")`` → 维修; ``labels.stage("request", "assign")`` → 转办.
    An unknown value shows as itself."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def _pick(self, entry: Any, fallback: object) -> str:
        if not isinstance(entry, dict):
            return "" if fallback is None else str(fallback)
        return str(entry.get(self.lang) or entry.get("zh-CN") or fallback)

    def value(self, record_type: str, name: str, value: object) -> str:
        spec = DECLARATION["types"].get(record_type, {})
        part = spec.get("fields", {}).get(name) or spec.get("logs", {}).get(name) or {}
        return self._pick(part.get("values", {}).get(value), value)

    def stage(self, record_type: str, name: str) -> str:
        stages = DECLARATION["types"].get(record_type, {}).get("workflow", {}).get("stages", {})
        return self._pick(stages.get(name, {}).get("label"), name)

    @staticmethod
    def time(ms: int | None, fmt: str = "%m-%d %H:%M") -> str:
        return ms_time(ms, fmt)

    @staticmethod
    def span(ms: int) -> dict[str, int]:
        return span(ms)

    def field(self, record_type: str, name: str) -> str:
        spec = DECLARATION["types"].get(record_type, {})
        part = spec.get("fields", {}).get(name) or spec.get("logs", {}).get(name) or {}
        return self._pick(part.get("label"), name)


def ms_time(ms: int | None, fmt: str = "%m-%d %H:%M") -> str:
    """A time in ms since the epoch as an office clock shows it (Asia/Shanghai)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ).strftime(fmt)


def span(ms: int) -> dict[str, int]:
    """A duration as whole days and remaining hours (for "3 天 4 小时")."""
    hours = max(0, ms) // 3_600_000
    return {"days": hours // 24, "hours": hours % 24}
