"""The roster 花名册: who is placed where. Lists members with their areas (for the console and
``lianhu member list``) and the area tree (for ``lianhu area list`` and the console's tree).

A member's *placement* is the set of areas of their current assignments; a member who has none any more
(deactivated) stays placed where their last assignments were, so an office still finds its former members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.models import Area, AreaLevel, Assignment, Household, Member, Role

__all__ = [
    "AreaRef",
    "MemberListing",
    "MemberPage",
    "areas_under",
    "in_tree_order",
    "list_areas",
    "list_members",
    "placements",
]


def placements() -> Select[int, int]:
    """``(member_id, area_id)`` of every member's placement: current assignments, or for a member with none,
    the assignments that ended last."""
    other, later = aliased(Assignment), aliased(Assignment)
    has_current = exists().where(other.member_id == Assignment.member_id, other.ended_at.is_(None))
    last_end = (
        select(func.max(later.ended_at)).where(later.member_id == Assignment.member_id).scalar_subquery()
    )
    return select(Assignment.member_id, Assignment.area_id).where(
        or_(Assignment.ended_at.is_(None), and_(~has_current, Assignment.ended_at == last_end))
    )


@dataclass(frozen=True)
class AreaRef:
    id: int
    name: str
    level: str


@dataclass(frozen=True)
class MemberListing:
    id: int
    name: str
    role: Role
    phone: str | None
    active: bool
    areas: list[AreaRef] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role.value, "phone": self.phone,
                "active": self.active, "areas": [area.__dict__ for area in self.areas]}  # fmt: skip


@dataclass(frozen=True)
class MemberPage:
    members: list[MemberListing]
    total: int


async def list_members(
    session: AsyncSession, *, within: Iterable[int] | None = None, area_ids: Iterable[int] | None = None,
    role: Role | None = None, active: bool | None = True, search: str = "", limit: int | None = 50,
    offset: int = 0,
) -> MemberPage:  # fmt: skip
    """Members placed in ``within`` (None: everyone, admins included) and in ``area_ids`` if given, of
    ``role``, active or not (None: both), whose name or phone contains ``search``; ordered by name."""
    query = select(Member)
    for areas in (within, area_ids):
        if areas is not None:
            placed = placements().subquery()
            query = query.where(
                Member.id.in_(select(placed.c.member_id).where(placed.c.area_id.in_(list(areas))))
            )
    if role is not None:
        query = query.where(Member.role == role)
    if active is not None:
        query = query.where(Member.active.is_(active))
    if search.strip():
        text = search.strip()
        query = query.where(
            or_(Member.name.contains(text, autoescape=True), Member.phone.contains(text, autoescape=True))
        )
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = (await session.scalars(query.order_by(Member.name, Member.id).limit(limit).offset(offset))).all()
    placed = placements().subquery()
    area_pairs = await session.execute(
        select(placed.c.member_id, Area.id, Area.name, Area.level)
        .join(Area, Area.id == placed.c.area_id)
        .where(placed.c.member_id.in_([m.id for m in rows]))
        .order_by(Area.id)
    )
    areas_of: dict[int, list[AreaRef]] = {}
    for member_id, area_id, area_name, level in area_pairs:
        areas_of.setdefault(member_id, []).append(AreaRef(area_id, area_name, AreaLevel(level).value))
    listings = [MemberListing(m.id, m.name, m.role, m.phone, m.active, areas_of.get(m.id, [])) for m in rows]
    return MemberPage(listings, total)


async def list_areas(session: AsyncSession) -> list[dict[str, Any]]:
    """Every area of the tree with its level, parent and household count, ordered by id (streets come first:
    a parent is created before its children)."""
    parent = aliased(Area)
    counts = select(Household.grid_id, func.count().label("n")).group_by(Household.grid_id).subquery()
    rows = await session.execute(
        select(
            Area.id,
            Area.level,
            Area.name,
            Area.code,
            Area.parent_id,
            parent.name,
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(parent, parent.id == Area.parent_id)
        .outerjoin(counts, counts.c.grid_id == Area.id)
        .order_by(Area.id)
    )
    return [
        {"id": area_id, "level": AreaLevel(level).value, "name": name, "code": code, "parent": parent_id,
         "parent_name": parent_name, "households": households}
        for area_id, level, name, code, parent_id, parent_name, households in rows
    ]  # fmt: skip


async def areas_under(session: AsyncSession, roots: Iterable[int]) -> frozenset[int]:
    """``roots`` and every area below them (a street's communities and grids, a community's grids)."""
    children: dict[int, list[int]] = {}
    for area_id, parent_id in await session.execute(select(Area.id, Area.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(area_id)
    found: set[int] = set()
    todo = list(roots)
    while todo:
        area_id = todo.pop()
        if area_id not in found:
            found.add(area_id)
            todo.extend(children.get(area_id, []))
    return frozenset(found)


def in_tree_order(areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`list_areas` rows depth first, each parent before its children; an area whose parent is not
    among ``areas`` starts a tree of its own."""
    present = {area["id"] for area in areas}
    children: dict[int | None, list[dict[str, Any]]] = {}
    for area in areas:
        children.setdefault(area["parent"] if area["parent"] in present else None, []).append(area)
    ordered: list[dict[str, Any]] = []
    todo = list(reversed(children.get(None, [])))
    while todo:
        area = todo.pop()
        ordered.append(area)
        todo.extend(reversed(children.get(area["id"], [])))
    return ordered
