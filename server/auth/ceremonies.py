"""Ceremonies: each enrollment or login attempt gets one fresh challenge, stored once with a short TTL.

:func:`take_ceremony` deletes the ceremony whatever happens next, so a challenge can be answered at most
once: the caller commits that deletion before it checks the answer (see ``services/ceremony_flow.py``), so
a failed check cannot roll the deletion back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import b64url_decode, b64url_encode, new_challenge, new_token
from server.db import Store
from server.errors import BadRequest
from server.models import Ceremony

__all__ = ["CEREMONY_TTL", "check_ceremony", "claim_ceremony", "start_ceremony", "take_ceremony"]

CEREMONY_TTL = timedelta(minutes=5)


async def start_ceremony(
    session: AsyncSession,
    *,
    kind: str,
    member_id: int,
    now: datetime,
    code_id: int | None = None,
    device_id: str | None = None,
) -> tuple[Ceremony, bytes]:
    """A new ceremony and its challenge bytes. Expired ceremonies are swept on the way."""
    await session.execute(delete(Ceremony).where(Ceremony.expires_at <= now))
    challenge = new_challenge()
    ceremony = Ceremony(
        id=new_token(),
        kind=kind,
        challenge=b64url_encode(challenge),
        member_id=member_id,
        code_id=code_id,
        device_id=device_id,
        created_at=now,
        expires_at=now + CEREMONY_TTL,
    )
    session.add(ceremony)
    await session.flush()
    return ceremony, challenge


async def take_ceremony(session: AsyncSession, ceremony_id: object) -> Ceremony | None:
    """Delete the ceremony and return it (None if there is none). Commit before checking the answer."""
    # A NUL is never part of an id we issue, and PostgreSQL cannot even compare text holding one (500).
    if not isinstance(ceremony_id, str) or not ceremony_id or len(ceremony_id) > 64 or "\x00" in ceremony_id:
        return None
    ceremony = await session.get(Ceremony, ceremony_id)
    if ceremony is not None:
        await session.delete(ceremony)
        await session.flush()
    return ceremony


def check_ceremony(ceremony: Ceremony | None, *, kind: str, now: datetime) -> tuple[Ceremony, bytes]:
    """A usable ceremony of ``kind`` and its challenge; raise ``invalid_ceremony`` otherwise."""
    if ceremony is None:
        raise _invalid("unknown or already used ceremony; start again")
    if ceremony.kind != kind:
        raise _invalid(f"this ceremony is for {ceremony.kind}, not {kind}")
    if ceremony.expires_at <= now:
        raise _invalid("this ceremony has expired; start again")
    return ceremony, b64url_decode(ceremony.challenge)


async def claim_ceremony(
    store: Store, ceremony_id: object, *, kind: str, now: datetime
) -> tuple[Ceremony, bytes]:
    """Take the ceremony in a transaction of its own (so its deletion commits), then check it."""
    async with store.write() as session:
        ceremony = await take_ceremony(session, ceremony_id)
    return check_ceremony(ceremony, kind=kind, now=now)


def _invalid(message: str) -> BadRequest:
    return BadRequest("invalid_ceremony", message, "操作已过期，请重新开始")
