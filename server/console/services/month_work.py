"""What was recorded in one month in a caller's grids: the facts indicators and points are computed from.

Read from columns only, never from a record's state: the index columns (``records``: type, date, stage,
closed, creator), ``request_facts`` (when each 1-2-3 stage was reached), ``work_events`` (a curtain check's
closing with its ``checked_at`` and author, requests' return visits, mediation sessions — who and which
day) and the households table (care level, tags, curtain round, linked members). Restricted records
(mediation) are read through ``readable_records``: a caller counts only what they may read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.auth.principal import Principal
from server.domain.indexing import LOCAL_TZ
from server.models import Area, Household, RecordRow, RequestFacts, WorkEvent
from server.services.access import readable_records

__all__ = ["CurtainCheck", "HouseholdFacts", "Month", "MonthWork", "RequestDone", "month_work"]


@dataclass(frozen=True)
class Month:
    """A calendar month in office time, e.g. ``Month.parse("2026-11")``."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: str, today: date) -> Month:
        try:
            year, month = (int(part) for part in value.split("-"))
            if 2000 <= year <= 2100 and 1 <= month <= 12 and len(value) == 7:
                return cls(year, month)
        except ValueError:
            pass
        return cls(today.year, today.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - timedelta(days=1)

    @property
    def start_ms(self) -> int:
        return int(datetime.combine(self.first, time(), LOCAL_TZ).timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int(datetime.combine(self.last + timedelta(days=1), time(), LOCAL_TZ).timestamp() * 1000)

    def holds(self, day: str | None) -> bool:
        return day is not None and self.first.isoformat() <= day <= self.last.isoformat()

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)


@dataclass(frozen=True)
class HouseholdFacts:
    id: str
    grid_id: int
    key: bool  # 重点户: care level other than green, or any tag
    curtain_round: bool
    covered_by: tuple[int, ...]


@dataclass(frozen=True)
class Visit:
    household: str
    grid_id: int
    day: str
    by: int
    seen: bool  # someone was seen (stage "visited"), not 未遇


@dataclass(frozen=True)
class CurtainCheck:
    household: str
    grid_id: int
    day: str
    closed: bool
    checked_at: str | None
    closed_by: int | None  # the author of the outcome that closed it


@dataclass(frozen=True)
class RequestDone:
    """A request collected in the month, with its stage times (ms) from ``request_facts``."""

    grid_id: int
    by: int
    closed: bool
    collected_ms: int
    assigned_ms: int | None
    replied_ms: int | None
    returned_ms: int | None


@dataclass
class MonthWork:
    month: Month
    today: date
    households: dict[str, HouseholdFacts] = field(default_factory=dict)
    deadlines: dict[int, str] = field(default_factory=dict)  # grid -> curtain deadline "HH:MM"
    visits: list[Visit] = field(default_factory=list)
    checks: list[CurtainCheck] = field(default_factory=list)
    requests: list[RequestDone] = field(default_factory=list)
    return_visits: list[tuple[int, int]] = field(default_factory=list)  # (grid, author)
    mediations: list[tuple[int, str]] = field(
        default_factory=list
    )  # (grid, outcome stage) started that month
    sessions: list[tuple[int, int]] = field(default_factory=list)  # (grid, author) of sessions that month

    def last_due_day(self, grid_id: int, now: datetime) -> date:
        """The last day whose curtain round was due in ``grid_id`` by ``now``: yesterday, or today once
        the grid's deadline has passed."""
        hours, minutes = (int(p) for p in self.deadlines[grid_id].split(":"))
        passed = now.astimezone(LOCAL_TZ) > datetime.combine(self.today, time(hours, minutes), LOCAL_TZ)
        return self.today if passed else self.today - timedelta(days=1)

    def days_due(self, grid_id: int, now: datetime) -> int:
        """How many days of the month had their curtain round due in ``grid_id`` by ``now``."""
        last = min(self.month.last, self.last_due_day(grid_id, now))
        return max(0, (last - self.month.first).days + 1)

    def is_due(self, grid_id: int, day: str, now: datetime) -> bool:
        """Whether the round of ``day`` (in the month) was due in ``grid_id`` by ``now``."""
        return self.month.holds(day) and day <= self.last_due_day(grid_id, now).isoformat()


def _key(care_level: str, tags: Any) -> bool:
    return care_level != "green" or bool(tags)


async def month_work(
    session: AsyncSession,
    principal: Principal,
    *,
    grids: frozenset[int],
    month: Month,
    now: datetime,
    default_deadline: str,
) -> MonthWork:
    work = MonthWork(month=month, today=now.astimezone(LOCAL_TZ).date())
    grid, community = aliased(Area), aliased(Area)
    for grid_id, deadline in await session.execute(
        select(grid.id, community.curtain_deadline)
        .outerjoin(community, community.id == grid.parent_id)
        .where(grid.id.in_(grids))
    ):
        work.deadlines[grid_id] = deadline or default_deadline
    for row in await session.execute(
        select(Household.id, Household.grid_id, Household.care_level, Household.tags,
               Household.curtain_round, Household.covered_by).where(Household.grid_id.in_(grids))
    ):  # fmt: skip
        covered = tuple(i for i in (row.covered_by or []) if isinstance(i, int))
        work.households[row.id] = HouseholdFacts(
            row.id, row.grid_id, _key(row.care_level, row.tags), bool(row.curtain_round), covered
        )

    live = [RecordRow.deleted.is_(False), RecordRow.grid_id.in_(grids), readable_records(principal)]
    in_month = [
        RecordRow.record_date >= month.first.isoformat(),
        RecordRow.record_date <= month.last.isoformat(),
    ]
    for row in await session.execute(
        select(RecordRow.household_id, RecordRow.grid_id, RecordRow.record_date, RecordRow.created_by,
               RecordRow.stage).where(RecordRow.type == "visit", *live, *in_month)
    ):  # fmt: skip
        work.visits.append(Visit(row.household_id, row.grid_id, row.record_date, row.created_by,
                                 row.stage == "visited"))  # fmt: skip

    closed_by = aliased(WorkEvent)
    for row in await session.execute(
        select(RecordRow.household_id, RecordRow.grid_id, RecordRow.record_date, RecordRow.closed,
               closed_by.detail, closed_by.member_id)
        .outerjoin(closed_by, (closed_by.record_id == RecordRow.id) & (closed_by.kind == "curtain_closed"))
        .where(RecordRow.type == "curtain_check", *live, *in_month)
    ):  # fmt: skip
        work.checks.append(
            CurtainCheck(row.household_id, row.grid_id, row.record_date, row.closed,
                         row.detail if row.closed else None, row.member_id if row.closed else None)
        )  # fmt: skip

    for row in await session.execute(
        select(RecordRow.grid_id, RecordRow.created_by, RecordRow.closed, RequestFacts.collected_ms,
               RequestFacts.assigned_ms, RequestFacts.replied_ms, RequestFacts.returned_ms)
        .join(RequestFacts, RequestFacts.record_id == RecordRow.id)
        .where(RecordRow.type == "request", *live, *in_month)
    ):  # fmt: skip
        work.requests.append(RequestDone(row.grid_id, row.created_by, row.closed, row.collected_ms,
                                         row.assigned_ms, row.replied_ms, row.returned_ms))  # fmt: skip

    # Return visits and mediation sessions of the month, whenever their record began (WorkEvent).
    for row in await session.execute(
        select(WorkEvent.kind, WorkEvent.grid_id, WorkEvent.member_id)
        .join(RecordRow, RecordRow.id == WorkEvent.record_id)
        .where(WorkEvent.kind.in_(("return_visit", "mediation_session")), *live,
               WorkEvent.day >= month.first.isoformat(), WorkEvent.day <= month.last.isoformat())
    ):  # fmt: skip
        target = work.return_visits if row.kind == "return_visit" else work.sessions
        target.append((row.grid_id, row.member_id or 0))
    for row in await session.execute(
        select(RecordRow.grid_id, RecordRow.stage).where(RecordRow.type == "mediation", *live, *in_month)
    ):
        work.mediations.append((row.grid_id, str(row.stage or "ongoing")))
    return work


def _step(value: object) -> str | None:
    step = value.get("step") if isinstance(value, Mapping) else None
    return step if isinstance(step, str) else None
