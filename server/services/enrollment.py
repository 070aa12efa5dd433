"""Enrollment: a one-time code, created for a member, exchanged once for a device and its token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import hash_secret, new_device_id, new_enrollment_code, new_token, normalize_code
from server.errors import BadRequest
from server.models import Device, EnrollmentCode, Member, MemberGrid
from server.services.members import grid_summaries

__all__ = ["Enrollment", "create_enrollment_code", "enroll_device"]

MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class Enrollment:
    token: str
    device: Device
    member: Member
    grids: list[dict[str, Any]]


async def create_enrollment_code(
    session: AsyncSession, *, member_id: int, ttl: timedelta, now: datetime
) -> tuple[str, datetime]:
    """A fresh single-use code for an active member; returns the code (shown once) and its expiry."""
    member = await session.get(Member, member_id)
    if member is None or not member.active:
        raise ValueError(f"no active member with id {member_id}")
    code = new_enrollment_code()
    expires_at = now + ttl
    session.add(
        EnrollmentCode(
            code_hash=hash_secret(code), member_id=member_id, created_at=now, expires_at=expires_at
        )
    )
    await session.flush()
    return code, expires_at


def _invalid_code() -> BadRequest:
    # Unknown, expired and used codes get the same answer so that codes cannot be probed.
    return BadRequest(
        "invalid_code",
        "this enrollment code is unknown, expired or already used",
        "登记码无效、已过期或已使用",
    )


async def enroll_device(session: AsyncSession, *, code: str, label: str, now: datetime) -> Enrollment:
    """Use up ``code`` and register a new device for its member."""
    if len(label) > MAX_LABEL_CHARS:
        raise BadRequest(
            "invalid_request", f"label must be at most {MAX_LABEL_CHARS} characters", "设备名称过长"
        )
    row = await session.scalar(
        select(EnrollmentCode).where(EnrollmentCode.code_hash == hash_secret(normalize_code(code)))
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _invalid_code()
    member = await session.get(Member, row.member_id)
    if member is None or not member.active:
        raise _invalid_code()
    row.used_at = now
    token = new_token()
    device = Device(
        id=new_device_id(), member_id=member.id, label=label, token_hash=hash_secret(token), created_at=now
    )
    session.add(device)
    await session.flush()
    grid_ids = (
        await session.scalars(select(MemberGrid.grid_id).where(MemberGrid.member_id == member.id))
    ).all()
    return Enrollment(
        token=token, device=device, member=member, grids=await grid_summaries(session, grid_ids)
    )
