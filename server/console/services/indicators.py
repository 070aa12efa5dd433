"""Indicators 指标 (issue 7, page 5): per area and per member, for one month. The formulas:

- **Visit coverage of key households** 重点户走访覆盖率 = key households (care level not green, or any tag;
  their facts as they stand now) with at least one visit dated in the month that saw someone (stage
  ``visited``, not 未遇) ÷ key households. Per member: of the key households linked to them (``covered_by``).
- **Curtain checks on time** 窗帘行动按时率 = checks of households on the round, dated in the month and closed
  with ``checked_at`` at or before their community's deadline ÷ checks due: households on the round × days of
  the month so far (today counts once its deadline has passed). The round and the deadlines as they stand now.
- **Requests** collected in the month, and how many of those are closed now; 办结率 = closed ÷ collected.
- **Average time per 1-2-3 stage** (from ``request_facts``), over the month's requests that reached the
  stage: 转办 (collect → assign), 答复 (assign → reply), 回访 (reply → return visit).
- **Mediation outcomes**: mediations begun in the month, counted by outcome (ongoing, agreed, not agreed);
  counts only, and only of those the caller may read.
- **Points** 积分 per member: ``server/domain/points.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.console.services.month_work import CurtainCheck, MonthWork
from server.console.services.work_areas import AreaRow, AreaTree
from server.domain.points import Score, score
from server.models import Assignment, Member

__all__ = ["MemberStats", "Stats", "area_rows", "member_rows", "points_of"]

STAGES = ("assign", "reply", "return_visit")


@dataclass
class Stats:
    """Sums for one area or member; the ratios are derived (None where nothing was due)."""

    key_households: int = 0
    key_visited: int = 0
    curtain_due: int = 0
    curtain_on_time: int = 0
    collected: int = 0
    closed: int = 0
    stage_ms: list[int] = field(default_factory=lambda: [0, 0, 0])
    stage_n: list[int] = field(default_factory=lambda: [0, 0, 0])
    outcomes: Counter[str] = field(default_factory=Counter)

    def __add__(self, other: Stats) -> Stats:
        out = Stats()
        for f in fields(Stats):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, list):
                setattr(out, f.name, [x + y for x, y in zip(a, b, strict=True)])
            else:
                setattr(out, f.name, a + b)
        return out

    @property
    def coverage(self) -> float | None:
        return _percent(self.key_visited, self.key_households)

    @property
    def on_time(self) -> float | None:
        return _percent(self.curtain_on_time, self.curtain_due)

    @property
    def closure(self) -> float | None:
        return _percent(self.closed, self.collected)

    def stage_hours(self) -> list[float | None]:
        pairs = zip(self.stage_ms, self.stage_n, strict=True)
        return [None if n == 0 else ms / n / 3_600_000 for ms, n in pairs]


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


def _visited_keys(work: MonthWork) -> set[str]:
    return {v.household for v in work.visits if v.seen and work.households.get(v.household, None) is not None}


def _in_time(work: MonthWork, check: CurtainCheck) -> bool:
    """Closed by its grid's deadline (``checked_at`` HH:MM at or before it)."""
    return check.checked_at is not None and check.checked_at <= work.deadlines[check.grid_id]


def _on_time(work: MonthWork, now: datetime) -> list[CurtainCheck]:
    """The checks closed by the deadline, of households on the round, on days that were due (the same days
    the denominator counts: today only once its deadline has passed)."""
    return [
        check for check in work.checks
        if check.closed and _in_time(work, check) and work.is_due(check.grid_id, check.day, now)
        and check.household in work.households and work.households[check.household].curtain_round
    ]  # fmt: skip


def per_grid(work: MonthWork, now: datetime) -> dict[int, Stats]:
    stats: dict[int, Stats] = {grid: Stats() for grid in work.deadlines}
    visited = _visited_keys(work)
    for household in work.households.values():
        s = stats.setdefault(household.grid_id, Stats())
        if household.key:
            s.key_households += 1
            s.key_visited += household.id in visited
        if household.curtain_round:
            s.curtain_due += work.days_due(household.grid_id, now)
    for check in _on_time(work, now):
        stats.setdefault(check.grid_id, Stats()).curtain_on_time += 1
    for request in work.requests:
        s = stats.setdefault(request.grid_id, Stats())
        s.collected += 1
        s.closed += request.closed
        times = [request.collected_ms, request.assigned_ms, request.replied_ms, request.returned_ms]
        for n in range(3):
            start, end = times[n], times[n + 1]
            if start is not None and end is not None:
                s.stage_ms[n] += max(0, end - start)
                s.stage_n[n] += 1
    for grid, outcome in work.mediations:
        stats.setdefault(grid, Stats()).outcomes[outcome] += 1
    return stats


def area_rows(work: MonthWork, tree: AreaTree, now: datetime, root: int | None) -> Sequence[AreaRow]:
    """Every area the caller sees under ``root``, with its :class:`Stats`, in tree order."""
    return tree.roll_up(per_grid(work, now), add=lambda a, b: a + b, zero=Stats, root=root)


def points_of(work: MonthWork) -> dict[int, Score]:
    """Each member's points for the month (``server/domain/points.py``)."""
    counts: dict[int, Counter[str]] = {}

    def add(member: int | None, key: str, n: int = 1) -> None:
        if member:
            counts.setdefault(member, Counter())[key] += n

    for member, household, _day in {(v.by, v.household, v.day) for v in work.visits if v.seen}:
        facts = work.households.get(household)
        add(member, "visit_key" if facts is not None and facts.key else "visit")
    for check in work.checks:
        if check.closed:
            add(check.closed_by, "curtain_closed")
            if _in_time(work, check):
                add(check.closed_by, "curtain_on_time")
    for request in work.requests:
        add(request.by, "request")
    for _grid, author in work.return_visits:
        add(author, "return_visit")
    for _grid, author in work.sessions:
        add(author, "mediation")
    return {member: score(c) for member, c in counts.items()}


@dataclass(frozen=True)
class MemberStats:
    id: int
    name: str
    stats: Stats
    points: Score


async def member_rows(
    session: AsyncSession, work: MonthWork, grids: frozenset[int], now: datetime
) -> list[MemberStats]:
    """The members assigned to ``grids`` and everyone who did or answers for work there, best score first."""
    stats: dict[int, Stats] = {}
    visited = _visited_keys(work)
    for household in work.households.values():
        for member in household.covered_by:
            s = stats.setdefault(member, Stats())
            if household.key:
                s.key_households += 1
                s.key_visited += household.id in visited
            if household.curtain_round:
                s.curtain_due += work.days_due(household.grid_id, now)
    for check in _on_time(work, now):
        for member in work.households[check.household].covered_by:
            stats.setdefault(member, Stats()).curtain_on_time += 1
    for request in work.requests:
        s = stats.setdefault(request.by, Stats())
        s.collected += 1
        s.closed += request.closed
    points = points_of(work)
    assigned = await session.scalars(
        select(Assignment.member_id).where(Assignment.area_id.in_(grids), Assignment.ended_at.is_(None))
    )
    ids = set(stats) | set(points) | set(assigned.all())
    names = dict((await session.execute(select(Member.id, Member.name).where(Member.id.in_(ids)))).all())
    rows = [
        MemberStats(member, names[member], stats.get(member, Stats()), points.get(member, score({})))
        for member in ids if member in names
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row.points.total, row.name, row.id))
    return rows
