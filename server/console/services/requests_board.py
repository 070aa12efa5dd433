"""The requests board 诉求看板 (issue 7, page 3): resident requests by where they stand in the loop
收集 → 转办 → 答复 → 回访, with the 1-2-3 deadlines, and the closure rate 办结率 per area.

Columns are the request's stage (``records.stage``, derived from its log of steps): ``collect`` waits for
转办, ``assign`` for 答复, ``reply`` for 回访; ``return_visit`` holds requests whose return visit found the
resident unsatisfied (still open: they go round again); ``closed`` holds those closed by a satisfied return
visit. A card's deadline is ``records.due_ms`` — when the next step is due under the 1-2-3 rule.

办结率 (closure rate) = closed ÷ collected, over the requests the filter selects (area, category, the day
collected). Counts are per grid and rolled up to communities and streets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.console.services.work_areas import AreaRow, AreaTree
from server.domain.declaration import RECORD_TYPES
from server.models import Area, Household, Member, RecordRow, RequestFacts
from server.services.access import readable_records
from server.services.members import visible_members

__all__ = [
    "COLUMNS",
    "Board",
    "BoardFilter",
    "Card",
    "Rate",
    "board",
    "closure_rates",
    "request_categories",
]

COLUMNS: Final = ("collect", "assign", "reply", "return_visit", "closed")
PER_COLUMN: Final = 30


def request_categories() -> list[str]:
    rule = RECORD_TYPES["request"].fields["category"].schema
    return [str(value) for value in rule.get("enum", []) if value is not None]


@dataclass(frozen=True)
class BoardFilter:
    area: int | None = None
    category: str = ""
    since: str = ""  # collected on or after (YYYY-MM-DD)
    until: str = ""  # collected on or before

    def where(self, grids: frozenset[int]) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [RecordRow.grid_id.in_(grids)]
        if self.category:
            found.append(RequestFacts.category == self.category)
        if self.since:
            found.append(RecordRow.record_date >= self.since)
        if self.until:
            found.append(RecordRow.record_date <= self.until)
        return found


def parse_day(value: str) -> str:
    """``YYYY-MM-DD`` as given, or empty when it is not a date (a filter then does not apply)."""
    try:
        return date.fromisoformat(value).isoformat() if value else ""
    except ValueError:
        return ""


@dataclass(frozen=True)
class Card:
    id: str
    household_id: str
    address: str
    grid_id: int
    grid: str
    category: str
    urgent: bool
    summary: str
    stage: str
    collected_ms: int
    due_ms: int | None
    assigned_to: str | None
    assigned_member: str | None
    satisfaction: str | None
    collector: str


@dataclass(frozen=True)
class Board:
    columns: Mapping[str, list[Card]]
    counts: Mapping[str, int]
    assignees: Mapping[int, list[dict[str, Any]]]  # grid -> members a request there may be sent to


def _base(principal: Principal) -> list[ColumnElement[bool]]:
    return [RecordRow.type == "request", RecordRow.deleted.is_(False), readable_records(principal)]


def _column(name: str) -> ColumnElement[bool]:
    if name == "closed":
        return RecordRow.closed.is_(True)
    return and_(RecordRow.closed.is_(False), RecordRow.stage == name)


async def board(
    session: AsyncSession, principal: Principal, grids: frozenset[int], wanted: BoardFilter
) -> Board:
    where = [*_base(principal), *wanted.where(grids)]
    counted = await session.execute(
        select(RecordRow.stage, RecordRow.closed, func.count())
        .select_from(RecordRow)
        .outerjoin(RequestFacts, RequestFacts.record_id == RecordRow.id)
        .where(*where)
        .group_by(RecordRow.stage, RecordRow.closed)
    )
    counts = dict.fromkeys(COLUMNS, 0)
    for stage, closed, n in counted:
        key = "closed" if closed else stage
        if key in counts:
            counts[key] += n
    columns: dict[str, list[Any]] = {}
    for name in COLUMNS:
        order = (
            [RequestFacts.returned_ms.desc(), RecordRow.id]
            if name == "closed"
            else [RecordRow.due_ms.is_(None), RecordRow.due_ms, RecordRow.id]
        )
        rows = await session.execute(
            select(RecordRow.id, RecordRow.household_id, Household.address, RecordRow.grid_id, Area.name,
                   RequestFacts.category, RequestFacts.urgency, RecordRow.summary, RecordRow.stage,
                   RequestFacts.collected_ms, RecordRow.started_ms, RecordRow.due_ms,
                   RequestFacts.assigned_to, RequestFacts.assigned_member, RequestFacts.satisfaction,
                   RecordRow.created_by)
            .join(Household, Household.id == RecordRow.household_id)
            .join(Area, Area.id == RecordRow.grid_id)
            .outerjoin(RequestFacts, RequestFacts.record_id == RecordRow.id)
            .where(*where, _column(name))
            .order_by(*order)
            .limit(PER_COLUMN)
        )  # fmt: skip
        columns[name] = list(rows)
    people = {row.created_by for rows in columns.values() for row in rows}
    people |= {row.assigned_member for rows in columns.values() for row in rows if row.assigned_member}
    names = dict((await session.execute(select(Member.id, Member.name).where(Member.id.in_(people)))).all())
    cards = {
        name: [
            Card(row.id, row.household_id, row.address, row.grid_id, row.name, row.category or "",
                 row.urgency == "urgent", row.summary, "closed" if name == "closed" else str(row.stage),
                 row.collected_ms or row.started_ms or 0, None if name == "closed" else row.due_ms,
                 row.assigned_to, names.get(row.assigned_member) if row.assigned_member else None,
                 row.satisfaction, names.get(row.created_by, ""))
            for row in rows
        ]
        for name, rows in columns.items()
    }  # fmt: skip
    open_grids = {card.grid_id for name in ("collect", "return_visit") for card in cards[name]}
    assignees = {grid: await visible_members(session, frozenset({grid})) for grid in sorted(open_grids)}
    return Board(cards, counts, assignees)


@dataclass(frozen=True)
class Rate:
    """Requests collected and closed; :attr:`rate` is 办结率 in percent (None when nothing was collected)."""

    collected: int = 0
    closed: int = 0

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.collected + other.collected, self.closed + other.closed)

    @property
    def rate(self) -> float | None:
        return None if self.collected == 0 else 100.0 * self.closed / self.collected


async def rates_per_grid(
    session: AsyncSession, principal: Principal, grids: frozenset[int], wanted: BoardFilter
) -> dict[int, Rate]:
    rows = await session.execute(
        select(RecordRow.grid_id, func.count(), func.count().filter(RecordRow.closed.is_(True)))
        .select_from(RecordRow)
        .outerjoin(RequestFacts, RequestFacts.record_id == RecordRow.id)
        .where(*_base(principal), *wanted.where(grids))
        .group_by(RecordRow.grid_id)
    )
    return {grid: Rate(int(collected), int(closed)) for grid, collected, closed in rows}


async def closure_rates(
    session: AsyncSession, principal: Principal, tree: AreaTree, wanted: BoardFilter
) -> Sequence[AreaRow]:
    """办结率 of every area the caller sees (under the filter's area, if any), in tree order."""
    per_grid = await rates_per_grid(session, principal, tree.grids_under(wanted.area), wanted)
    return tree.roll_up(per_grid, add=lambda a, b: a + b, zero=Rate, root=wanted.area)
