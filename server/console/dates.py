"""Dates as a community office means them: days in China Standard Time (UTC+8, no daylight saving).

An assignment dated today starts or ends now; one dated earlier starts at the beginning of that day, or ends
at its end. Scope is about the present, so no date may lie in the future (docs/console.md).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from server.services.members import MemberError

__all__ = ["OFFICE_TZ", "ended_at", "parse_day", "started_at", "today"]

OFFICE_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def today(now: datetime) -> date:
    return now.astimezone(OFFICE_TZ).date()


def parse_day(value: str, now: datetime) -> date:
    """``YYYY-MM-DD`` (empty: today); a day after today is refused (``future_date``)."""
    if not value:
        return today(now)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise MemberError(
            "invalid_date", f"expected a date YYYY-MM-DD, got {value!r}", "日期格式无效"
        ) from None
    if day > today(now):
        raise MemberError("future_date", f"{day} is in the future", "日期不能晚于今天")
    return day


def started_at(day: date, now: datetime) -> datetime:
    return now if day == today(now) else datetime.combine(day, time(), OFFICE_TZ)


def ended_at(day: date, now: datetime) -> datetime:
    return now if day == today(now) else datetime.combine(day + timedelta(days=1), time(), OFFICE_TZ)
