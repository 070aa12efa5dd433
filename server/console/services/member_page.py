"""What page 6 shows: the member list of a coordinator's scope, and one member with their assignments,
devices, lockouts, liaison group and recent audit events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.console.services.devices import (
    DeviceView,
    LockoutView,
    device_counts,
    lockouts_waiting,
    member_devices,
)
from server.console.services.liaisons import LiaisonGroup, liaison_group, liaison_summaries
from server.console.services.permissions import (
    ConsoleScope,
    NotAllowed,
    check_manageable,
    member_in_view,
)
from server.models import Area, Assignment, AuditEvent, Member, Role
from server.services.members import ROLE_LEVELS
from server.services.roster import MemberListing, areas_under, list_members

__all__ = ["AssignmentView", "ListedMember", "MemberFilter", "MemberView", "member_list", "member_view"]

PAGE_SIZE = 50


@dataclass(frozen=True)
class MemberFilter:
    area: int | None = None
    role: Role | None = None
    active: bool | None = True
    search: str = ""
    page: int = 1


@dataclass(frozen=True)
class ListedMember:
    member: MemberListing
    devices: tuple[int, int]  # usable, locked
    liaison: tuple[str, str] | None  # ("leads", "4") or ("led_by", name)


async def member_list(
    session: AsyncSession, scope: ConsoleScope, wanted: MemberFilter
) -> tuple[list[ListedMember], int]:
    """One page of the members the coordinator sees, and how many match in all."""
    if wanted.area is not None and wanted.area not in scope.areas:
        return [], 0
    page = await list_members(
        session,
        within=None if scope.sees_everyone else scope.areas,
        area_ids=None if wanted.area is None else await areas_under(session, [wanted.area]),
        role=wanted.role, active=wanted.active, search=wanted.search,
        limit=PAGE_SIZE, offset=(max(wanted.page, 1) - 1) * PAGE_SIZE,
    )  # fmt: skip
    ids = [m.id for m in page.members]
    counts = await device_counts(session, ids)
    liaisons = await liaison_summaries(session, ids)
    return [ListedMember(m, counts.get(m.id, (0, 0)), liaisons.get(m.id)) for m in page.members], page.total


@dataclass(frozen=True)
class AssignmentView:
    id: int
    area_id: int
    area_name: str
    level: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class MemberView:
    member: Member
    manageable: bool
    why_not: str | None  # when not manageable: the reason, for the page
    assignments: list[AssignmentView]
    devices: list[DeviceView]
    lockouts: list[LockoutView]
    liaison: LiaisonGroup
    events: list[AuditEvent]
    actors: dict[int, str]  # names of the coordinators named as ``by`` in the events
    area_level: str | None  # the level this member's role is assigned to (None: admin)

    @property
    def current(self) -> list[AssignmentView]:
        return [a for a in self.assignments if a.ended_at is None]


async def member_view(session: AsyncSession, scope: ConsoleScope, member_id: int) -> MemberView:
    member = await member_in_view(session, scope, member_id)
    why_not = None
    try:
        await check_manageable(session, scope, member)
    except NotAllowed as error:
        why_not = error.message_zh
    rows = await session.execute(
        select(Assignment, Area.name, Area.level)
        .join(Area, Area.id == Assignment.area_id)
        .where(Assignment.member_id == member_id)
        .order_by(Assignment.ended_at.is_not(None), Assignment.started_at.desc(), Assignment.id.desc())
    )
    assignments = [
        AssignmentView(a.id, a.area_id, name, level.value if hasattr(level, "value") else str(level),
                       a.started_at, a.ended_at)
        for a, name, level in rows
    ]  # fmt: skip
    events = (
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.member_id == member_id)
            .order_by(AuditEvent.id.desc())
            .limit(15)
        )
    ).all()
    by = {e.detail["by"] for e in events if isinstance(e.detail.get("by"), int)}
    names = await session.execute(select(Member.id, Member.name).where(Member.id.in_(by)))
    actors = {member_id: name for member_id, name in names}
    level = ROLE_LEVELS[member.role]
    return MemberView(
        member=member,
        manageable=why_not is None,
        why_not=why_not,
        assignments=assignments,
        devices=await member_devices(session, member_id),
        lockouts=await lockouts_waiting(session, member_ids=[member_id]),
        liaison=await liaison_group(session, member),
        events=list(events),
        actors=actors,
        area_level=None if level is None else level.value,
    )
