"""Scope: which grids a member may see and write, from their role and dated area assignments.

An assignment to a grid covers that grid; to a community, all its grids; to a street, all grids of all its
communities. Admins see every grid. Ended assignments still count for ops recorded while they lasted, for
``reassignment_grace_days`` after they ended (docs/sync-protocol.md §7).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.models import Area, AreaLevel, Assignment, Role, ScopeGeneration

__all__ = [
    "SCOPE_GENERATION",
    "GraceWindow",
    "MemberScope",
    "ScopeCache",
    "grids_in_scope",
    "member_scope",
]


async def grids_in_scope(session: AsyncSession, *, member_id: int, role: Role) -> frozenset[int]:
    """The grids the member covers now (see :func:`member_scope`)."""
    return (await member_scope(session, member_id=member_id, role=role)).grid_ids


@dataclass(frozen=True)
class GraceWindow:
    """The member was assigned to ``grid_id`` from ``started_at`` to ``ended_at``."""

    grid_id: int
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class MemberScope:
    """A member's scope as the sync API uses it: the grids they cover now, and the grids of their ended
    assignments with when each lasted (for the grace policy)."""

    grid_ids: frozenset[int]
    ended: tuple[GraceWindow, ...]


def _assignment_grids() -> Select[int, datetime, datetime | None]:
    """Each assignment's grids (the assigned grid, or every grid under the assigned community or street),
    with when the assignment started and ended."""
    community = aliased(Area)
    return (
        select(Area.id, Assignment.started_at, Assignment.ended_at)
        .join(community, community.id == Area.parent_id)
        .join(
            Assignment,
            or_(
                Assignment.area_id == Area.id,
                Assignment.area_id == Area.parent_id,
                Assignment.area_id == community.parent_id,
            ),
        )
        .where(Area.level == AreaLevel.GRID)
    )


_MEMBER_ASSIGNMENT_GRIDS = _assignment_grids().where(Assignment.member_id == bindparam("member_id"))
_ALL_GRIDS = select(Area.id).where(Area.level == AreaLevel.GRID)
# The scope generation, as a query (to read it in the same statement as something else).
SCOPE_GENERATION = select(ScopeGeneration.value).where(ScopeGeneration.id == 1)


async def member_scope(session: AsyncSession, *, member_id: int, role: Role) -> MemberScope:
    """The member's :class:`MemberScope`, read now (one statement; two for an admin)."""
    current: set[int] = set()
    ended: list[GraceWindow] = []
    for grid_id, started_at, ended_at in await session.execute(
        _MEMBER_ASSIGNMENT_GRIDS, {"member_id": member_id}
    ):
        if ended_at is None:
            current.add(grid_id)
        else:
            ended.append(GraceWindow(grid_id, started_at, ended_at))
    if role == Role.ADMIN:
        current = set((await session.scalars(_ALL_GRIDS)).all())
    ended.sort(key=lambda window: (window.ended_at, window.grid_id))
    return MemberScope(frozenset(current), tuple(ended))


class ScopeCache:
    """Members' scopes kept by one server process for as long as the scope generation stands still.

    The database moves the generation on every write that may change anyone's scope (migration
    ``0013_scope_generation``); a request reads it together with its session, so a scope served from here
    is never older than the request's own read of the database. Bounded: the least recently used
    members are dropped first.
    """

    def __init__(self, max_members: int = 20_000) -> None:
        self._max = max_members
        self._entries: OrderedDict[tuple[int, Role], tuple[int, MemberScope]] = OrderedDict()

    async def get(self, session: AsyncSession, *, member_id: int, role: Role, generation: int) -> MemberScope:
        key = (member_id, role)
        found = self._entries.get(key)
        if found is not None and found[0] == generation:
            self._entries.move_to_end(key)
            return found[1]
        scope = await member_scope(session, member_id=member_id, role=role)
        self._entries[key] = (generation, scope)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return scope
