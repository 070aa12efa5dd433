"""A member's devices as the console shows them, revoking one, and PIN lockouts waiting for recovery.

A device locked by 5 wrong PINs stays locked until the member enrolls again on that phone with a new code
(``previous_device``), which revokes it; so "locked and not revoked" is exactly "waiting for recovery".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import end_sessions
from server.models import AuditEvent, Device, Member, Session
from server.services.audit import audit
from server.services.members import MemberError
from server.services.roster import placements

__all__ = [
    "DeviceView",
    "LockoutView",
    "device_counts",
    "lockouts_waiting",
    "member_devices",
    "revoke_device",
]


@dataclass(frozen=True)
class DeviceView:
    id: str
    member_id: int
    label: str
    method: str  # "passkey" | "device_key"
    shared: bool
    created_at: datetime
    last_seen: datetime | None
    locked_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        """``revoked``, ``locked`` (waiting for recovery) or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        return "locked" if self.locked_at is not None else "active"


def _view(device: Device, last_seen: datetime | None) -> DeviceView:
    return DeviceView(
        device.id, device.member_id, device.label, device.method.value, device.shared, device.created_at,
        last_seen, device.locked_at, device.revoked_at,
    )  # fmt: skip


async def member_devices(session: AsyncSession, member_id: int) -> list[DeviceView]:
    """The member's devices, newest first, each with the last time one of its sessions was used."""
    last_seen = (
        select(Session.device_id, func.max(Session.last_seen_at).label("seen"))
        .group_by(Session.device_id)
        .subquery()
    )
    rows = await session.execute(
        select(Device, last_seen.c.seen)
        .outerjoin(last_seen, last_seen.c.device_id == Device.id)
        .where(Device.member_id == member_id)
        .order_by(Device.created_at.desc(), Device.id)
    )
    return [_view(device, seen) for device, seen in rows]


async def device_counts(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Member id → (usable devices, devices locked and waiting for recovery)."""
    rows = await session.execute(
        select(Device.member_id, Device.locked_at.is_(None), func.count())
        .where(Device.member_id.in_(list(member_ids)), Device.revoked_at.is_(None))
        .group_by(Device.member_id, Device.locked_at.is_(None))
    )
    counts: dict[int, tuple[int, int]] = {}
    for member_id, unlocked, n in rows:
        usable, locked = counts.get(member_id, (0, 0))
        counts[member_id] = (usable + n, locked) if unlocked else (usable, locked + n)
    return counts


async def revoke_device(
    session: AsyncSession, *, device: Device, now: datetime, by: int | None, client: str | None
) -> None:
    """End the device's sessions for good; it can no longer log in or sync (its unsent ops stay on it)."""
    if device.revoked_at is not None:
        raise MemberError("already_revoked", f"device {device.id} is already revoked", "该设备已停用")
    device.revoked_at = now
    await end_sessions(session, device_id=device.id, reason="revoked", now=now)
    await audit(
        session, "device_revoked", member_id=device.member_id, device_id=device.id, client=client, by=by
    )


@dataclass(frozen=True)
class LockoutView:
    member_id: int
    member_name: str
    device_id: str
    device_label: str
    locked_at: datetime
    reported_from: str | None  # the client address of the lockout report, from the audit log


async def lockouts_waiting(
    session: AsyncSession, *, member_ids: Iterable[int] | None = None, within: Iterable[int] | None = None
) -> list[LockoutView]:
    """Devices locked by wrong PINs and not yet replaced by a recovery enrollment, of ``member_ids`` or of
    the members placed in the areas ``within`` (neither: of everyone)."""
    query = (
        select(Device, Member.name)
        .join(Member, Member.id == Device.member_id)
        .where(Device.locked_at.is_not(None), Device.revoked_at.is_(None))
        .order_by(Device.locked_at.desc())
    )
    if member_ids is not None:
        query = query.where(Device.member_id.in_(list(member_ids)))
    if within is not None:
        placed = placements().subquery()
        query = query.where(
            Device.member_id.in_(select(placed.c.member_id).where(placed.c.area_id.in_(list(within))))
        )
    found = (await session.execute(query)).all()
    reports = dict(
        (
            await session.execute(
                select(AuditEvent.device_id, AuditEvent.client).where(
                    AuditEvent.kind == "pin_lockout", AuditEvent.device_id.in_([d.id for d, _ in found])
                )
            )
        ).all()
    )
    return [
        LockoutView(d.member_id, name, d.id, d.label, d.locked_at, reports.get(d.id))
        for d, name in found
        if d.locked_at is not None
    ]
