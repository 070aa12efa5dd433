"""The authenticated caller of an API request, resolved from its bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import hash_secret
from server.errors import Unauthenticated
from server.models import Device, Member, MemberGrid

__all__ = ["Principal", "authenticate"]


@dataclass(frozen=True)
class Principal:
    """A member acting through one enrolled device. ``grid_ids`` is the member's scope."""

    member_id: int
    member_name: str
    role: str
    device_id: str
    device_label: str
    grid_ids: frozenset[int]


async def authenticate(session: AsyncSession, authorization: str | None) -> Principal:
    """Resolve an ``Authorization: Bearer <token>`` header; raise :class:`Unauthenticated` otherwise."""
    if not authorization:
        raise Unauthenticated("missing Authorization header; expected 'Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("malformed Authorization header; expected 'Bearer <token>'")
    row = (
        await session.execute(
            select(Device, Member)
            .join(Member, Member.id == Device.member_id)
            .where(Device.token_hash == hash_secret(token.strip()))
        )
    ).first()
    if row is None:
        raise Unauthenticated("unknown device token")
    device, member = row
    if device.revoked_at is not None or not member.active:
        raise Unauthenticated("this device has been revoked; enroll it again")
    grid_ids = (
        await session.scalars(select(MemberGrid.grid_id).where(MemberGrid.member_id == member.id))
    ).all()
    return Principal(
        member_id=member.id,
        member_name=member.name,
        role=member.role,
        device_id=device.id,
        device_label=device.label,
        grid_ids=frozenset(grid_ids),
    )
