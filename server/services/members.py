"""Members, their assignments (scope) and the grids' place in the area tree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.auth.sessions import end_sessions
from server.models import Area, AreaLevel, Assignment, Household, Member, Role
from server.services.audit import audit
from server.services.scope import grids_in_scope

__all__ = [
    "UnknownAreaError",
    "add_member",
    "deactivate_member",
    "grid_summaries",
    "list_grids",
    "move_member",
    "scope_summaries",
    "visible_members",
]

# Which level of area each role is assigned to (admins see everything and need no assignment).
ROLE_LEVELS: dict[Role, AreaLevel | None] = {
    Role.MEMBER: AreaLevel.GRID,
    Role.LIAISON: AreaLevel.GRID,
    Role.GRID_LEADER: AreaLevel.GRID,
    Role.COMMUNITY: AreaLevel.COMMUNITY,
    Role.STREET: AreaLevel.STREET,
    Role.ADMIN: None,
}


class UnknownAreaError(ValueError):
    pass


async def _check_areas(session: AsyncSession, role: Role, area_ids: list[int]) -> None:
    level = ROLE_LEVELS[role]
    if level is None:
        return
    found = set(
        (await session.scalars(select(Area.id).where(Area.id.in_(area_ids), Area.level == level))).all()
    )
    missing = [area_id for area_id in area_ids if area_id not in found]
    if missing:
        raise UnknownAreaError(
            f"no {level.value} with id {missing} (a {role.value} is assigned to {level.value}s)"
        )


async def add_member(
    session: AsyncSession,
    *,
    name: str,
    area_ids: Iterable[int],
    role: Role | str = Role.MEMBER,
    phone: str | None = None,
    now: datetime | None = None,
) -> Member:
    """Create a member assigned to ``area_ids`` (grids for members, a community for 社区 coordinators…)."""
    try:
        role = Role(role)
    except ValueError:
        raise ValueError(f"role must be one of {[r.value for r in Role]}, got {role!r}") from None
    if not name.strip():
        raise ValueError("name must not be empty")
    wanted = sorted(set(area_ids))
    await _check_areas(session, role, wanted)
    member = Member(name=name.strip(), role=role, phone=phone, active=True)
    session.add(member)
    await session.flush()
    session.add_all(
        Assignment(member_id=member.id, area_id=area_id, started_at=now or member.created_at)
        for area_id in wanted
    )
    await session.flush()
    return member


async def move_member(
    session: AsyncSession, *, member_id: int, area_ids: Iterable[int], now: datetime
) -> Member:
    """Reassign a member: end current assignments, start new ones, end their sessions (§7 of the protocol)."""
    member = await session.get(Member, member_id)
    if member is None:
        raise ValueError(f"no member with id {member_id}")
    wanted = sorted(set(area_ids))
    await _check_areas(session, member.role, wanted)
    await session.execute(
        update(Assignment)
        .where(Assignment.member_id == member_id, Assignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.add_all(Assignment(member_id=member_id, area_id=area_id, started_at=now) for area_id in wanted)
    await end_sessions(session, member_id=member_id, reason="moved", now=now)
    await audit(session, "member_moved", member_id=member_id, areas=wanted)
    await session.flush()
    return member


async def deactivate_member(session: AsyncSession, *, member_id: int, now: datetime) -> None:
    member = await session.get(Member, member_id)
    if member is None:
        raise ValueError(f"no member with id {member_id}")
    member.active = False
    await session.execute(
        update(Assignment)
        .where(Assignment.member_id == member_id, Assignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    await end_sessions(session, member_id=member_id, reason="deactivated", now=now)
    await audit(session, "member_deactivated", member_id=member_id)


async def grid_summaries(session: AsyncSession, grid_ids: Iterable[int]) -> list[dict[str, Any]]:
    """``[{id, name, community, street}]`` for the given grids, ordered by id."""
    community, street = aliased(Area), aliased(Area)
    rows = await session.execute(
        select(Area.id, Area.name, community.name, street.name)
        .join(community, community.id == Area.parent_id)
        .join(street, street.id == community.parent_id)
        .where(Area.id.in_(list(grid_ids)))
        .order_by(Area.id)
    )
    return [{"id": gid, "name": name, "community": c, "street": s} for gid, name, c, s in rows]


async def scope_summaries(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    """:func:`grid_summaries` of the grids in the member's current scope."""
    return await grid_summaries(session, await grids_in_scope(session, member_id=member.id, role=member.role))


async def list_grids(session: AsyncSession) -> list[dict[str, Any]]:
    """Every grid with its community and household count (for the CLI)."""
    community = aliased(Area)
    counts = select(Household.grid_id, func.count().label("n")).group_by(Household.grid_id).subquery()
    rows = await session.execute(
        select(Area.id, Area.name, community.name, func.coalesce(counts.c.n, 0))
        .join(community, community.id == Area.parent_id)
        .outerjoin(counts, counts.c.grid_id == Area.id)
        .where(Area.level == AreaLevel.GRID)
        .order_by(Area.id)
    )
    return [{"id": gid, "name": n, "community": c, "households": h} for gid, n, c, h in rows]


async def visible_members(session: AsyncSession, grid_ids: frozenset[int]) -> list[dict[str, Any]]:
    """Members currently assigned to ``grid_ids`` or to an area above them (for authors' names on screen)."""
    community = aliased(Area)
    chains = await session.execute(
        select(Area.id, Area.parent_id, community.parent_id)
        .join(community, community.id == Area.parent_id)
        .where(Area.id.in_(grid_ids))
    )
    areas = {area_id for chain in chains for area_id in chain if area_id is not None}
    member_ids = select(Assignment.member_id).where(
        Assignment.ended_at.is_(None), Assignment.area_id.in_(areas)
    )
    rows = await session.scalars(select(Member).where(Member.id.in_(member_ids)).order_by(Member.id))
    return [{"id": m.id, "name": m.name, "role": m.role.value} for m in rows]
