"""Liaison households 联络户 and the members they lead ("1+N", DOMAIN.md): a member with role ``liaison``
leads 3 to 5 members (role ``member``) of a grid they share, and reviews their work.

Rules: at most :data:`MAX_LED` members per liaison (fewer than :data:`MIN_LED` is shown as incomplete, not
refused: groups are built one member at a time); a member has at most one liaison at a time; both must be
active and share a grid. Moving either so that they no longer share a grid, or deactivating either, ends the
link (``server/services/members.py``). Ended links are kept with their dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Assignment, LiaisonLink, Member, Role
from server.services.audit import audit
from server.services.members import MemberError, current_areas

__all__ = [
    "MAX_LED",
    "MIN_LED",
    "Led",
    "LiaisonGroup",
    "liaison_group",
    "liaison_summaries",
    "link_member",
    "unlink_member",
]

MIN_LED, MAX_LED = 3, 5


@dataclass(frozen=True)
class Led:
    member_id: int
    name: str
    since: datetime


@dataclass(frozen=True)
class LiaisonGroup:
    """What the console shows about one member: whom they lead, who leads them, and whom they could lead."""

    leads: list[Led]
    led_by: Led | None
    candidates: list[tuple[int, str]]  # (id, name) of members who could join this liaison's group now


async def _open_links(session: AsyncSession, member_ids: Iterable[int]) -> list[tuple[LiaisonLink, str, str]]:
    ids = list(member_ids)
    leader, led = Member.__table__.alias("leader"), Member.__table__.alias("led")
    rows = await session.execute(
        select(LiaisonLink, leader.c.name, led.c.name)
        .join(leader, leader.c.id == LiaisonLink.liaison_id)
        .join(led, led.c.id == LiaisonLink.member_id)
        .where(
            LiaisonLink.ended_at.is_(None),
            or_(LiaisonLink.liaison_id.in_(ids), LiaisonLink.member_id.in_(ids)),
        )
        .order_by(LiaisonLink.started_at, LiaisonLink.id)
    )
    return [(link, leader_name, led_name) for link, leader_name, led_name in rows]


async def liaison_group(session: AsyncSession, member: Member) -> LiaisonGroup:
    links = await _open_links(session, [member.id])
    leads = [
        Led(link.member_id, name, link.started_at) for link, _, name in links if link.liaison_id == member.id
    ]
    led_by = next(
        (
            Led(link.liaison_id, name, link.started_at)
            for link, name, _ in links
            if link.member_id == member.id
        ),
        None,
    )
    candidates: list[tuple[int, str]] = []
    if member.role == Role.LIAISON and member.active and len(leads) < MAX_LED:
        grids = (await current_areas(session, [member.id])).get(member.id, set())
        peers = (
            await session.execute(
                select(Member.id, Member.name)
                .join(Assignment, Assignment.member_id == Member.id)
                .where(
                    Assignment.area_id.in_(grids),
                    Assignment.ended_at.is_(None),
                    Member.role == Role.MEMBER,
                    Member.active.is_(True),
                )
                .distinct()
                .order_by(Member.name, Member.id)
            )
        ).all()
        led = {link.member_id for link, _, _ in await _open_links(session, [peer.id for peer in peers])}
        candidates = [(peer.id, peer.name) for peer in peers if peer.id not in led]
    return LiaisonGroup(leads, led_by, candidates)


async def liaison_summaries(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Member id → ("leads", "N") for liaisons leading anyone, ("led_by", liaison's name) for led members."""
    ids = set(member_ids)
    summary: dict[int, tuple[str, str]] = {}
    counts: dict[int, int] = {}
    for link, leader_name, _ in await _open_links(session, ids):
        counts[link.liaison_id] = counts.get(link.liaison_id, 0) + 1
        if link.member_id in ids:
            summary[link.member_id] = ("led_by", leader_name)
    for liaison_id, n in counts.items():
        if liaison_id in ids:
            summary[liaison_id] = ("leads", str(n))
    return summary


async def link_member(
    session: AsyncSession,
    *,
    liaison: Member,
    member: Member,
    now: datetime,
    by: int | None,
    client: str | None,
) -> LiaisonLink:
    """``liaison`` leads ``member`` from now on; raise :class:`MemberError` if a rule forbids it."""
    if liaison.role != Role.LIAISON:
        raise MemberError("not_a_liaison", f"member {liaison.id} is a {liaison.role.value}, not a liaison",
                          "只有联络户可以带领成员")  # fmt: skip
    if member.role != Role.MEMBER:
        raise MemberError("not_a_member", f"a liaison leads members (党员), not a {member.role.value}",
                          "联络户只能带领党员")  # fmt: skip
    if not (liaison.active and member.active):
        raise MemberError("inactive", "both must be active", "成员已停用")
    links = await _open_links(session, [liaison.id, member.id])
    if any(link.member_id == member.id for link, _, _ in links):
        raise MemberError("already_led", f"member {member.id} already has a liaison", "该成员已有联络户")
    if sum(link.liaison_id == liaison.id for link, _, _ in links) >= MAX_LED:
        raise MemberError("liaison_full", f"a liaison leads at most {MAX_LED} members",
                          f"一个联络户最多带领{MAX_LED}名党员")  # fmt: skip
    areas = await current_areas(session, [liaison.id, member.id])
    if not areas.get(liaison.id, set()) & areas.get(member.id, set()):
        raise MemberError("not_same_grid", "the liaison and the member do not share a grid",
                          "联络户与该党员不在同一网格")  # fmt: skip
    link = LiaisonLink(liaison_id=liaison.id, member_id=member.id, started_at=now)
    session.add(link)
    await session.flush()
    await audit(session, "liaison_linked", member_id=member.id, client=client, liaison=liaison.id, by=by)
    return link


async def unlink_member(
    session: AsyncSession,
    *,
    liaison_id: int,
    member_id: int,
    now: datetime,
    by: int | None,
    client: str | None,
) -> None:
    link = await session.scalar(
        select(LiaisonLink).where(
            LiaisonLink.liaison_id == liaison_id,
            LiaisonLink.member_id == member_id,
            LiaisonLink.ended_at.is_(None),
        )
    )
    if link is None:
        raise MemberError("no_link", f"member {member_id} is not led by {liaison_id}", "没有这条联络关系")
    link.ended_at = now
    await audit(session, "liaison_unlinked", member_id=member_id, client=client, liaison=liaison_id, by=by)
