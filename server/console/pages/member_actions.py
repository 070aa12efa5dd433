"""Page 6's changes, each a form POST: assign and end assignments, move, deactivate, issue an enrollment (or
recovery) link, revoke a device, and build a liaison's group. Every one is checked here against the
coordinator's scope (``member_in_view`` + ``check_manageable``) inside the same transaction as the change,
audited by the service that makes it, and answered by a redirect to the member's page (or the code page)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from server.console.context import Console, action
from server.console.dates import ended_at, parse_day, started_at
from server.console.services.devices import revoke_device
from server.console.services.enrollment_links import issue_link
from server.console.services.liaisons import link_member, unlink_member
from server.console.services.permissions import (
    NotInScope,
    check_manageable,
    check_new_placement,
    member_in_view,
)
from server.models import Device, Member
from server.routes.common import settings_of, store_of
from server.services.members import (
    MemberError,
    add_assignment,
    deactivate_member,
    end_assignment,
    move_member,
)

__all__ = [
    "assign",
    "deactivate",
    "end",
    "issue_code",
    "link_liaison",
    "move",
    "revoke",
    "unlink_liaison",
]


def _done(member_id: int, what: str) -> Response:
    return RedirectResponse(f"/console/members/{member_id}?done={what}", status_code=303)


async def _manageable(session: AsyncSession, console: Console, member_id: int) -> Member:
    member = await member_in_view(session, console.scope, member_id)
    await check_manageable(session, console.scope, member)
    return member


def _member_id(console: Console) -> int:
    return int(console.request.path_params["member_id"])


def _area(console: Console) -> int:
    area = console.form.get_int("area")
    if area is None:
        raise MemberError("area_required", "choose an area", "请选择区域")
    return area


@action
async def assign(console: Console) -> Response:
    member_id, area, now = _member_id(console), _area(console), console.now
    start = started_at(parse_day(console.form.get("started"), now), now)
    async with store_of(console.request).write() as session:
        member = await _manageable(session, console, member_id)
        check_new_placement(console.scope, member.role, [area])
        await add_assignment(
            session, member_id=member_id, area_id=area, started_at=start, now=now,
            by=console.principal.member_id, client=console.client,
        )  # fmt: skip
    return _done(member_id, "assigned")


@action
async def end(console: Console) -> Response:
    member_id, now = _member_id(console), console.now
    stop = ended_at(parse_day(console.form.get("ended"), now), now)
    async with store_of(console.request).write() as session:
        await _manageable(session, console, member_id)
        await end_assignment(
            session, member_id=member_id, assignment_id=int(console.request.path_params["assignment_id"]),
            ended_at=stop, now=now, by=console.principal.member_id, client=console.client,
        )  # fmt: skip
    return _done(member_id, "ended")


@action
async def move(console: Console) -> Response:
    member_id, area = _member_id(console), _area(console)
    async with store_of(console.request).write() as session:
        member = await _manageable(session, console, member_id)
        check_new_placement(console.scope, member.role, [area])
        await move_member(
            session, member_id=member_id, area_ids=[area], now=console.now,
            by=console.principal.member_id, client=console.client,
        )  # fmt: skip
    return _done(member_id, "moved")


@action
async def deactivate(console: Console) -> Response:
    member_id = _member_id(console)
    if console.form.get("confirm") != "yes":
        raise MemberError("confirm_needed", "tick the box to confirm the deactivation", "请勾选确认后再停用")
    async with store_of(console.request).write() as session:
        member = await _manageable(session, console, member_id)
        if not member.active:
            raise MemberError("inactive", f"member {member_id} is already deactivated", "该成员已停用")
        await deactivate_member(
            session,
            member_id=member_id,
            now=console.now,
            by=console.principal.member_id,
            client=console.client,
        )
    return _done(member_id, "deactivated")


@action
async def issue_code(console: Console) -> Response:
    """A one-time link and its QR code, shown once on this answer (the code is stored only as a hash)."""
    member_id, settings = _member_id(console), settings_of(console.request)
    async with store_of(console.request).write() as session:
        member = await _manageable(session, console, member_id)
        link = await issue_link(
            session, member=member, purpose=console.form.get("purpose", "enroll"), origin=settings.origin,
            ttl=timedelta(hours=settings.enrollment_ttl_hours), now=console.now,
            by=console.principal.member_id, client=console.client,
        )  # fmt: skip
    return await console.render("code.html", nav="members", link=link)


@action
async def revoke(console: Console) -> Response:
    async with store_of(console.request).write() as session:
        device = await session.get(Device, console.request.path_params["device_id"])
        if device is None:
            raise NotInScope("device")
        await _manageable(session, console, device.member_id)
        await revoke_device(session, device=device, now=console.now, by=console.principal.member_id,
                            client=console.client)  # fmt: skip
        member_id = device.member_id
    return _done(member_id, "revoked")


@action
async def link_liaison(console: Console) -> Response:
    liaison_id, led_id = _member_id(console), console.form.get_int("member")
    if led_id is None:
        raise MemberError("member_required", "choose a member", "请选择党员")
    async with store_of(console.request).write() as session:
        liaison = await _manageable(session, console, liaison_id)
        led = await _manageable(session, console, led_id)
        await link_member(session, liaison=liaison, member=led, now=console.now,
                          by=console.principal.member_id, client=console.client)  # fmt: skip
    return _done(liaison_id, "linked")


@action
async def unlink_liaison(console: Console) -> Response:
    liaison_id, led_id = _member_id(console), int(console.request.path_params["led_id"])
    async with store_of(console.request).write() as session:
        await _manageable(session, console, liaison_id)
        await unlink_member(session, liaison_id=liaison_id, member_id=led_id, now=console.now,
                            by=console.principal.member_id, client=console.client)  # fmt: skip
    return _done(liaison_id, "unlinked")
