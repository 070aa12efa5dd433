"""Members, their grid assignments, and the grids' place in the area tree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.models import Area, AreaLevel, Household, Member, MemberGrid

__all__ = ["ROLES", "UnknownGridError", "add_member", "grid_summaries", "list_grids"]

# Roles from DOMAIN.md; only "member" has behaviour so far (scope rules per role come with issue 3).
ROLES = ("member", "liaison", "grid_leader", "community", "street", "admin")


class UnknownGridError(ValueError):
    pass


async def add_member(
    session: AsyncSession,
    *,
    name: str,
    grid_ids: Iterable[int],
    role: str = "member",
    phone: str | None = None,
) -> Member:
    """Create a member assigned to ``grid_ids`` (each must be an area of level grid)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if not name.strip():
        raise ValueError("name must not be empty")
    wanted = sorted(set(grid_ids))
    found = set(
        (
            await session.scalars(select(Area.id).where(Area.id.in_(wanted), Area.level == AreaLevel.GRID))
        ).all()
    )
    missing = [gid for gid in wanted if gid not in found]
    if missing:
        raise UnknownGridError(f"no grid with id {missing}; see `lianhu grid list`")
    member = Member(name=name.strip(), role=role, phone=phone, active=True)
    session.add(member)
    await session.flush()
    session.add_all(MemberGrid(member_id=member.id, grid_id=gid) for gid in wanted)
    await session.flush()
    return member


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
