"""Server-side sessions: opened at enrollment or login, resolved on every request, ended for many reasons.

A session belongs to one device. Opening one ends the device's earlier sessions (rotation at login). Its
secret is 32 random bytes that only the client holds; the store keeps the SHA-256.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import hash_secret, new_token
from server.db import Store
from server.errors import Busy
from server.models import Device, Member, Session
from server.services.scope import SCOPE_GENERATION
from server.settings import Settings

__all__ = [
    "COOKIE_NAME",
    "TOUCH_INTERVAL",
    "end_sessions",
    "open_session",
    "resolve_session",
    "touch_session",
]

COOKIE_NAME = "lianhu_session"
# Refreshing last_seen_at is a write; do it at most this often per session.
TOUCH_INTERVAL = timedelta(seconds=60)


async def open_session(
    session: AsyncSession, device: Device, *, via_cookie: bool, settings: Settings, now: datetime
) -> tuple[str, Session]:
    """End the device's open sessions and start a new one; return the secret (shown once) and the row."""
    await end_sessions(session, device_id=device.id, reason="rotated", now=now)
    if device.shared:
        idle, longest = settings.shared_session_idle_minutes, settings.shared_session_max_hours
    else:
        idle, longest = settings.session_idle_minutes, settings.session_max_hours
    token = new_token()
    row = Session(
        token_hash=hash_secret(token),
        device_id=device.id,
        member_id=device.member_id,
        csrf_token=secrets.token_urlsafe(24),
        via_cookie=via_cookie,
        created_at=now,
        last_seen_at=now,
        idle_seconds=idle * 60,
        expires_at=now + timedelta(hours=longest),
    )
    session.add(row)
    await session.flush()
    return token, row


# Built once: every API request runs it.
_SESSION = (
    select(Session, Device, Member, SCOPE_GENERATION.scalar_subquery())
    .join(Device, Device.id == Session.device_id)
    .join(Member, Member.id == Session.member_id)
    .where(Session.token_hash == bindparam("token_hash"))
)


async def resolve_session(
    session: AsyncSession, token: str, *, now: datetime
) -> tuple[Session, Device, Member, int | None] | None:
    """The live session for ``token`` with its device and member, or None (unknown, ended, expired, idle);
    with the scope generation read in the same statement (``server.services.scope.ScopeCache``)."""
    row = (await session.execute(_SESSION, {"token_hash": hash_secret(token)})).first()
    if row is None:
        return None
    live, device, member, generation = row
    if live.ended_at is not None or live.expires_at <= now:
        return None
    if live.last_seen_at + timedelta(seconds=live.idle_seconds) <= now:
        return None
    if not device.usable or not member.active:
        return None
    return live, device, member, generation


async def touch_session(store: Store, session_id: int, now: datetime) -> bool:
    """Move the session's idle clock on, if that can be done without waiting; say whether it was.

    Best effort on purpose: a request that only reads must never queue behind writers for this (issue 9,
    hole 7). Skipping is harmless: the next request a minute later tries again, long before the idle limit.
    """
    try:
        async with store.write_nowait() as session:
            await session.execute(update(Session).where(Session.id == session_id).values(last_seen_at=now))
    except Busy:
        return False
    return True


async def end_sessions(
    session: AsyncSession,
    *,
    reason: str,
    now: datetime,
    device_id: str | None = None,
    member_id: int | None = None,
    session_id: int | None = None,
) -> None:
    """End the open sessions of a device, of a member, or one session."""
    if device_id is None and member_id is None and session_id is None:
        raise ValueError("say which sessions to end")
    query = update(Session).where(Session.ended_at.is_(None)).values(ended_at=now, end_reason=reason)
    if device_id is not None:
        query = query.where(Session.device_id == device_id)
    if member_id is not None:
        query = query.where(Session.member_id == member_id)
    if session_id is not None:
        query = query.where(Session.id == session_id)
    await session.execute(query)
