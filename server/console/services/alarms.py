"""Alarms 预警 (issue 7, page 4): what needs someone now, in the caller's grids, most urgent first.

Five kinds, each a query over the index columns (``server/domain/indexing.py``) and the households table,
and every record read through the access rule (``readable_records``):

=================  ========================================================================================
``curtain_missed``  窗帘未确认: a household on the curtain round (``curtain_round``) whose community's
                    deadline (``areas.curtain_deadline``, else ``LIANHU_CURTAIN_DEADLINE``) has passed today
                    in Asia/Shanghai time, and whose check for today is not closed. A household with no
                    record at all today comes first: nobody has even looked. (A check that is escalating is
                    shown once, under the next kind.)
``escalation``      处置中: curtain checks whose stage is ``escalating`` (steps logged, no outcome yet), dated
                    within the last :data:`ESCALATION_DAYS` days, today's first.
``visit_overdue``   走访超期: households whose last visit that saw someone (``last_visit``) is older than
                    their care level's cadence (``LIANHU_VISIT_CADENCE_DAYS``), or who were never visited;
                    orange before yellow, blue, green, then never visited, then the longest unvisited.
``request_overdue`` 诉求超时: requests not closed whose next 1-2-3 limit (``due_ms``) has passed.
``followup_due``    调解回访到期: mediation not closed whose next follow-up day has come — only those the
                    caller may read (restricted records: mediators, their creator, community and above).
=================  ========================================================================================

These are the rules of the phone's Today list (``pwa/js/today.js``) applied to a coordinator's grids.
Each kind shows at most :data:`SHOWN` alarms and says how many there are in all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.auth.principal import Principal
from server.domain.indexing import LOCAL_TZ
from server.models import Area, Household, Member, RecordRow, RequestFacts
from server.models.household import CARE_LEVELS
from server.services.access import readable_records
from server.settings import Settings

__all__ = ["ESCALATION_DAYS", "KINDS", "SHOWN", "Alarm", "Alarms", "Person", "compute_alarms"]

KINDS: Final = ("curtain_missed", "escalation", "request_overdue", "followup_due", "visit_overdue")
SHOWN: Final = 50
ESCALATION_DAYS: Final = 30
_URGENT_FIRST = tuple(reversed(CARE_LEVELS))  # orange, yellow, blue, green


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class Alarm:
    """One alarm. ``record_id`` is the record to open (None: nothing recorded yet, e.g. no check today);
    ``people`` are the members who answer for it (the household's linked members, a request's collector
    and assignee, a mediation's creator)."""

    kind: str
    key: str
    household_id: str
    address: str
    grid: str
    record_id: str | None = None
    people: tuple[Person, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Alarms:
    groups: Mapping[str, list[Alarm]]
    totals: Mapping[str, int]
    at: datetime

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def _local(now: datetime) -> datetime:
    return now.astimezone(LOCAL_TZ)


def _deadline_passed(now: datetime, deadline: str) -> bool:
    local = _local(now)
    hours, minutes = (int(part) for part in deadline.split(":"))
    return local > datetime.combine(local.date(), time(hours, minutes), LOCAL_TZ)


async def _names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(wanted)))
    return {member_id: name for member_id, name in rows}


def _people(ids: Iterable[object], names: Mapping[int, str]) -> tuple[Person, ...]:
    seen: list[int] = []
    for i in ids:
        if isinstance(i, int) and i in names and i not in seen:
            seen.append(i)
    return tuple(Person(i, names[i]) for i in seen)


async def _curtain_missed(
    session: AsyncSession, grids: frozenset[int], now: datetime, default_deadline: str
) -> list[dict[str, Any]]:
    grid, community, check = aliased(Area), aliased(Area), aliased(RecordRow)
    today = _local(now).date().isoformat()
    rows = await session.execute(
        select(Household.id, Household.address, Household.covered_by, grid.name,
               community.curtain_deadline, check.id, check.stage, check.closed)
        .join(grid, grid.id == Household.grid_id)
        .outerjoin(community, community.id == grid.parent_id)
        .outerjoin(check, and_(check.household_id == Household.id, check.type == "curtain_check",
                               check.record_date == today, check.deleted.is_(False)))
        .where(Household.curtain_round.is_(True), Household.grid_id.in_(grids))
    )  # fmt: skip
    found = []
    for household, address, covered, grid_name, deadline, record, stage, closed in rows:
        deadline = deadline or default_deadline
        if closed or stage == "escalating" or not _deadline_passed(now, deadline):
            continue
        found.append({"household": household, "address": address, "covered": covered or [],
                      "grid": grid_name, "deadline": deadline, "record": record})  # fmt: skip
    found.sort(key=lambda a: (a["record"] is not None, a["deadline"], a["address"]))
    return found


async def _escalations(
    session: AsyncSession, principal: Principal, grids: frozenset[int], now: datetime
) -> tuple[list[Any], int]:
    since = (_local(now).date() - timedelta(days=ESCALATION_DAYS)).isoformat()
    where = [RecordRow.type == "curtain_check", RecordRow.stage == "escalating", RecordRow.closed.is_(False),
             RecordRow.deleted.is_(False), RecordRow.record_date >= since, RecordRow.grid_id.in_(grids),
             readable_records(principal)]  # fmt: skip
    total = await session.scalar(select(func.count()).select_from(RecordRow).where(*where))
    rows = await session.execute(
        select(RecordRow.id, RecordRow.household_id, Household.address, Household.covered_by, Area.name,
               RecordRow.record_date, RecordRow.created_by, RecordRow.updated_by)
        .join(Household, Household.id == RecordRow.household_id)
        .join(Area, Area.id == RecordRow.grid_id)
        .where(*where)
        .order_by(RecordRow.record_date.desc(), Household.address)
        .limit(SHOWN)
    )  # fmt: skip
    return list(rows), int(total or 0)


def _overdue_condition(today: date, cadence: Mapping[str, int]) -> Any:
    per_level = [
        and_(Household.care_level == level, Household.last_visit < (today - timedelta(days=days)).isoformat())
        for level, days in cadence.items()
    ]
    return or_(Household.last_visit.is_(None), *per_level)


async def _visits_overdue(
    session: AsyncSession, grids: frozenset[int], now: datetime, cadence: Mapping[str, int]
) -> tuple[list[Any], int]:
    today = _local(now).date()
    where = [Household.grid_id.in_(grids), _overdue_condition(today, cadence)]
    total = await session.scalar(select(func.count()).select_from(Household).where(*where))
    rank = case({level: n for n, level in enumerate(_URGENT_FIRST)}, value=Household.care_level, else_=9)
    rows = await session.execute(
        select(Household.id, Household.address, Household.covered_by, Household.care_level,
               Household.last_visit, Area.name)
        .join(Area, Area.id == Household.grid_id)
        .where(*where)
        .order_by(rank, Household.last_visit.is_not(None), Household.last_visit, Household.address)
        .limit(SHOWN)
    )  # fmt: skip
    return list(rows), int(total or 0)


async def _open_records(
    session: AsyncSession, principal: Principal, grids: frozenset[int], record_type: str, now_ms: int
) -> tuple[list[Any], int]:
    """Open records of ``record_type`` past their due time: requests strictly after it, mediation on the
    follow-up day (its due time is that day's local midnight)."""
    due = RecordRow.due_ms < now_ms if record_type == "request" else RecordRow.due_ms <= now_ms
    where = [RecordRow.type == record_type, RecordRow.closed.is_(False), RecordRow.deleted.is_(False),
             RecordRow.due_ms.is_not(None), due, RecordRow.grid_id.in_(grids),
             readable_records(principal)]  # fmt: skip
    total = await session.scalar(select(func.count()).select_from(RecordRow).where(*where))
    rows = await session.execute(
        select(RecordRow.id, RecordRow.household_id, Household.address, Area.name, RecordRow.stage,
               RecordRow.due_ms, RecordRow.created_by, RequestFacts.assigned_member, RequestFacts.category,
               RequestFacts.urgency, RecordRow.summary)
        .join(Household, Household.id == RecordRow.household_id)
        .join(Area, Area.id == RecordRow.grid_id)
        .outerjoin(RequestFacts, RequestFacts.record_id == RecordRow.id)
        .where(*where)
        .order_by(RecordRow.due_ms, Household.address)
        .limit(SHOWN)
    )  # fmt: skip
    return list(rows), int(total or 0)


_NEXT = {"collect": "assign", "assign": "reply", "reply": "return_visit"}


async def compute_alarms(
    session: AsyncSession, principal: Principal, *, grids: frozenset[int], settings: Settings, now: datetime
) -> Alarms:
    """The caller's alarms in ``grids`` (already cut to the caller's own) at ``now``."""
    now_ms = int(now.timestamp() * 1000)
    cadence = settings.visit_cadence
    today = _local(now).date()
    missed = await _curtain_missed(session, grids, now, settings.curtain_deadline)
    escalations, escalation_total = await _escalations(session, principal, grids, now)
    overdue, overdue_total = await _visits_overdue(session, grids, now, cadence)
    requests, request_total = await _open_records(session, principal, grids, "request", now_ms)
    followups, followup_total = await _open_records(session, principal, grids, "mediation", now_ms)

    ids: list[object] = [i for a in missed for i in a["covered"]]
    ids += [i for row in escalations for i in [*(row.covered_by or []), row.created_by, row.updated_by]]
    ids += [i for row in overdue for i in (row.covered_by or [])]
    ids += [i for row in [*requests, *followups] for i in (row.created_by, row.assigned_member)]
    names = await _names(session, [i for i in ids if isinstance(i, int)])

    groups: dict[str, list[Alarm]] = {
        "curtain_missed": [
            Alarm("curtain_missed", a["household"], a["household"], a["address"], a["grid"], a["record"],
                  _people(a["covered"], names),
                  {"deadline": a["deadline"], "nothing_yet": a["record"] is None})
            for a in missed[:SHOWN]
        ],
        "escalation": [
            Alarm("escalation", row.id, row.household_id, row.address, row.name, row.id,
                  _people([*(row.covered_by or []), row.created_by], names),
                  {"date": row.record_date, "today": row.record_date == today.isoformat()})
            for row in escalations
        ],
        "visit_overdue": [
            Alarm("visit_overdue", row.id, row.id, row.address, row.name, None,
                  _people(row.covered_by or [], names), _cadence_detail(row, today, cadence))
            for row in overdue
        ],
        "request_overdue": [
            Alarm("request_overdue", row.id, row.household_id, row.address, row.name, row.id,
                  _people([row.created_by, row.assigned_member], names),
                  {"due_ms": row.due_ms, "late": _late(now_ms, row.due_ms), "stage": row.stage,
                   "waiting_for": _NEXT.get(row.stage or "", ""), "category": row.category or "",
                   "urgent": row.urgency == "urgent"})
            for row in requests
        ],
        "followup_due": [
            Alarm("followup_due", row.id, row.household_id, row.address, row.name, row.id,
                  _people([row.created_by], names),
                  {"due_day": datetime.fromtimestamp(row.due_ms / 1000, LOCAL_TZ).date().isoformat(),
                   "category": row.summary})
            for row in followups
        ],
    }  # fmt: skip
    totals = {"curtain_missed": len(missed), "escalation": escalation_total, "visit_overdue": overdue_total,
              "request_overdue": request_total, "followup_due": followup_total}  # fmt: skip
    return Alarms({kind: groups[kind] for kind in KINDS}, {kind: totals[kind] for kind in KINDS}, now)


def _late(now_ms: int, due_ms: int) -> dict[str, int]:
    """How long past due, as whole days and remaining hours."""
    hours = max(0, now_ms - due_ms) // 3_600_000
    return {"days": hours // 24, "hours": hours % 24}


def _cadence_detail(row: Any, today: date, cadence: Mapping[str, int]) -> dict[str, Any]:
    days = cadence.get(row.care_level, max(cadence.values()))
    if row.last_visit is None:
        return {"care_level": row.care_level, "cadence": days, "last_visit": None, "days_over": None}
    due = date.fromisoformat(row.last_visit) + timedelta(days=days)
    return {"care_level": row.care_level, "cadence": days, "last_visit": row.last_visit,
            "days_over": (today - due).days}  # fmt: skip
