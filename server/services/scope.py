"""Scope: which grids a member may see and write, from their role and dated area assignments.

An assignment to a grid covers that grid; to a community, all its grids; to a street, all grids of all its
communities. Admins see every grid. Ended assignments still count for ops recorded while they lasted, for
``reassignment_grace_days`` after they ended (docs/sync-protocol.md §7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.models import Area, AreaLevel, Assignment, Role

__all__ = ["GraceWindow", "grace_windows", "grids_in_scope", "grids_under"]


def _grids_under_query(area_ids: Iterable[int] | Select[int]) -> Select[int]:
    """The grids in or under ``area_ids`` (ids, or a query of them: one statement either way)."""
    ids = area_ids if isinstance(area_ids, Select) else list(area_ids)
    community = aliased(Area)
    return (
        select(Area.id)
        .join(community, community.id == Area.parent_id)
        .where(
            Area.level == AreaLevel.GRID,
            or_(Area.id.in_(ids), Area.parent_id.in_(ids), community.parent_id.in_(ids)),
        )
    )


async def grids_under(session: AsyncSession, area_ids: Iterable[int]) -> frozenset[int]:
    return frozenset((await session.scalars(_grids_under_query(area_ids))).all())


async def grids_in_scope(session: AsyncSession, *, member_id: int, role: Role) -> frozenset[int]:
    if role == Role.ADMIN:
        return frozenset((await session.scalars(select(Area.id).where(Area.level == AreaLevel.GRID))).all())
    areas = select(Assignment.area_id).where(Assignment.member_id == member_id, Assignment.ended_at.is_(None))
    return frozenset((await session.scalars(_grids_under_query(areas))).all())


@dataclass(frozen=True)
class GraceWindow:
    """The member was assigned to ``grid_id`` from ``started_at`` to ``ended_at``."""

    grid_id: int
    started_at: datetime
    ended_at: datetime


async def grace_windows(
    session: AsyncSession, *, member_id: int, now: datetime, grace: timedelta
) -> list[GraceWindow]:
    """Ended assignments still inside their grace period, expanded to grids."""
    ended = (
        await session.execute(
            select(Assignment.area_id, Assignment.started_at, Assignment.ended_at).where(
                Assignment.member_id == member_id,
                Assignment.ended_at.is_not(None),
                Assignment.ended_at >= now - grace,
            )
        )
    ).all()
    windows = []
    for area_id, started_at, ended_at in ended:
        assert ended_at is not None
        for grid_id in await grids_under(session, [area_id]):
            windows.append(GraceWindow(grid_id, started_at, ended_at))
    return windows
