"""Members 党员/网格员: creating them, their dated assignments to areas (their scope), moving them and
deactivating them. The ``lianhu`` CLI and the coordinators' console call the same functions; who may call
them for whom is the console's business (``server/console/services/permissions.py``); the CLI is an admin's
tool. Every change is audited, with the coordinator who made it (``by``) when it came from the console.

Listing members and areas is the roster's (``server/services/roster.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.auth.sessions import end_sessions
from server.models import Area, AreaLevel, Assignment, LiaisonLink, Member, Role
from server.services.audit import audit
from server.services.roster import list_areas
from server.services.scope import grids_in_scope

__all__ = [
    "ROLE_LEVELS",
    "MemberError",
    "UnknownAreaError",
    "add_assignment",
    "add_member",
    "current_areas",
    "deactivate_member",
    "end_assignment",
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
MAX_NAME_CHARS = 64


class MemberError(ValueError):
    """A member change that cannot be made. ``code`` is stable; the messages are for people (en, zh)."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh


class UnknownAreaError(MemberError):
    def __init__(self, message: str) -> None:
        super().__init__("unknown_area", message, "所选区域不存在或级别不符")


def _no_member(member_id: int) -> MemberError:
    return MemberError("no_member", f"no member with id {member_id}", "没有这位成员")


async def _check_areas(session: AsyncSession, role: Role, area_ids: list[int]) -> None:
    level = ROLE_LEVELS[role]
    if level is None:
        if area_ids:
            raise MemberError(
                "admin_has_no_area", f"an admin sees every area and is assigned none, got {area_ids}",
                "管理员可见全部区域，无需分配区域",
            )  # fmt: skip
        return
    if not area_ids:
        raise MemberError(
            "area_required", f"a {role.value} must be assigned to at least one {level.value}", "请选择区域"
        )
    found = set(
        (await session.scalars(select(Area.id).where(Area.id.in_(area_ids), Area.level == level))).all()
    )
    missing = [area_id for area_id in area_ids if area_id not in found]
    if missing:
        raise UnknownAreaError(
            f"no {level.value} with id {missing} (a {role.value} is assigned to {level.value}s)"
        )


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = [r.value for r in Role]
        raise MemberError("invalid_role", f"role must be one of {roles}, got {value!r}", "角色无效") from None


async def add_member(
    session: AsyncSession, *, name: str, area_ids: Iterable[int], role: Role | str = Role.MEMBER,
    phone: str | None = None, now: datetime | None = None, by: int | None = None, client: str | None = None,
) -> Member:  # fmt: skip
    """Create a member assigned to ``area_ids``: grids for members, liaisons and grid leaders, a community for
    社区 coordinators, a street for 街道 coordinators, none for admins."""
    role = _role(role)
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise MemberError(
            "invalid_name",
            f"name must be 1 to {MAX_NAME_CHARS} characters, got {name!r}",
            "请填写姓名（不超过64字）",
        )
    phone = (phone or "").strip() or None
    if phone is not None and await session.scalar(select(Member.id).where(Member.phone == phone)):
        raise MemberError(
            "phone_taken", f"another member has the phone number {phone!r}", "该手机号已被其他成员使用"
        )
    wanted = sorted(set(area_ids))
    await _check_areas(session, role, wanted)
    member = Member(name=name, role=role, phone=phone, active=True)
    session.add(member)
    await session.flush()
    started = now or member.created_at
    session.add_all(
        Assignment(member_id=member.id, area_id=area_id, started_at=started) for area_id in wanted
    )
    await _audit(session, "member_added", member.id, by, client, role=role.value, areas=wanted)
    await session.flush()
    return member


async def _audit(
    session: AsyncSession, kind: str, member_id: int, by: int | None, client: str | None, **detail: Any
) -> None:
    """Audit a change of ``member_id``; ``by`` is the coordinator who made it (absent: the CLI)."""
    if by is not None:
        detail["by"] = by
    await audit(session, kind, member_id=member_id, client=client, **detail)


async def _member(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise _no_member(member_id)
    return member


async def move_member(
    session: AsyncSession, *, member_id: int, area_ids: Iterable[int], now: datetime,
    by: int | None = None, client: str | None = None,
) -> Member:  # fmt: skip
    """Reassign a member: end current assignments, start new ones, end their sessions (§7 of the protocol)."""
    member = await _member(session, member_id)
    wanted = sorted(set(area_ids))
    await _check_areas(session, member.role, wanted)
    await session.execute(
        update(Assignment)
        .where(Assignment.member_id == member_id, Assignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.add_all(Assignment(member_id=member_id, area_id=area_id, started_at=now) for area_id in wanted)
    await session.flush()
    await _scope_changed(session, member_id, now)
    await _audit(session, "member_moved", member_id, by, client, areas=wanted)
    await session.flush()
    return member


async def deactivate_member(
    session: AsyncSession, *, member_id: int, now: datetime, by: int | None = None, client: str | None = None
) -> None:
    """Deactivate a member: assignments and liaison links end, sessions end; devices can no longer log in."""
    member = await _member(session, member_id)
    member.active = False
    await session.execute(
        update(Assignment)
        .where(Assignment.member_id == member_id, Assignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    await session.flush()
    await _scope_changed(session, member_id, now, reason="deactivated")
    await _audit(session, "member_deactivated", member_id, by, client)


async def add_assignment(
    session: AsyncSession, *, member_id: int, area_id: int, started_at: datetime, now: datetime,
    by: int | None = None, client: str | None = None,
) -> Assignment:  # fmt: skip
    """Assign a member to one more area from ``started_at`` (today or earlier: scope is about now)."""
    member = await _member(session, member_id)
    if not member.active:
        raise MemberError("inactive", f"member {member_id} is deactivated", "该成员已停用")
    if started_at > now:
        raise MemberError("future_date", f"an assignment cannot start in the future ({started_at:%Y-%m-%d})",
                          "开始日期不能晚于今天")  # fmt: skip
    await _check_areas(session, member.role, [area_id])
    current = await session.scalar(
        select(Assignment.id).where(
            Assignment.member_id == member_id, Assignment.area_id == area_id, Assignment.ended_at.is_(None)
        )
    )
    if current is not None:
        raise MemberError("already_assigned", f"member {member_id} is already assigned to area {area_id}",
                          "该成员已分配到这个区域")  # fmt: skip
    assignment = Assignment(member_id=member_id, area_id=area_id, started_at=started_at)
    session.add(assignment)
    await session.flush()
    await _audit(session, "assignment_added", member_id, by, client, area=area_id,
                 started_at=started_at.isoformat())  # fmt: skip
    return assignment


async def end_assignment(
    session: AsyncSession, *, member_id: int, assignment_id: int, ended_at: datetime, now: datetime,
    by: int | None = None, client: str | None = None,
) -> Assignment:  # fmt: skip
    """End one current assignment at ``ended_at`` (not in the future, not before it started)."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.member_id != member_id or assignment.ended_at is not None:
        raise MemberError("no_assignment", f"member {member_id} has no current assignment {assignment_id}",
                          "没有这项当前分配")  # fmt: skip
    if ended_at > now:
        raise MemberError("future_date", f"an assignment cannot end in the future ({ended_at:%Y-%m-%d})",
                          "结束日期不能晚于今天")  # fmt: skip
    if ended_at < assignment.started_at:
        raise MemberError("end_before_start", "an assignment cannot end before it started",
                          "结束日期不能早于开始日期")  # fmt: skip
    assignment.ended_at = ended_at
    await session.flush()
    await _scope_changed(session, member_id, now)
    await _audit(session, "assignment_ended", member_id, by, client, area=assignment.area_id,
                 ended_at=ended_at.isoformat())  # fmt: skip
    return assignment


async def _scope_changed(session: AsyncSession, member_id: int, now: datetime, reason: str = "moved") -> None:
    """The member's areas shrank: their sessions end (the app logs in again and learns the new scope), and
    liaison links whose two members no longer share a grid end (all of them at deactivation)."""
    await end_sessions(session, member_id=member_id, reason=reason, now=now)
    links = (
        await session.scalars(
            select(LiaisonLink).where(
                or_(LiaisonLink.liaison_id == member_id, LiaisonLink.member_id == member_id),
                LiaisonLink.ended_at.is_(None),
            )
        )
    ).all()
    if not links:
        return
    areas = await current_areas(session, {m for link in links for m in (link.liaison_id, link.member_id)})
    for link in links:
        if reason == "deactivated" or not areas.get(link.liaison_id, set()) & areas.get(
            link.member_id, set()
        ):
            link.ended_at = now
            await _audit(session, "liaison_unlinked", link.member_id, None, None, liaison=link.liaison_id)


async def current_areas(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, set[int]]:
    """Member id → the areas of their current assignments."""
    rows = await session.execute(
        select(Assignment.member_id, Assignment.area_id).where(
            Assignment.member_id.in_(list(member_ids)), Assignment.ended_at.is_(None)
        )
    )
    found: dict[int, set[int]] = {}
    for member_id, area_id in rows:
        found.setdefault(member_id, set()).add(area_id)
    return found


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
    return [
        {
            "id": area["id"],
            "name": area["name"],
            "community": area["parent_name"],
            "households": area["households"],
        }
        for area in await list_areas(session)
        if area["level"] == AreaLevel.GRID.value
    ]


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
