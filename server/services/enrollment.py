"""Enrollment: a one-time code, a ceremony with one challenge, and a proven credential become a device.

Three transactions on purpose: (1) start — check the code, store the ceremony; (2) take the ceremony (its
deletion commits even if the answer is wrong); (3) after the credential checks out — use up the code, create
the device and its first session. Step 3 re-checks the code, so two ceremonies racing on one code cannot both
enroll.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import credentials
from server.auth.ceremonies import claim_ceremony, start_ceremony
from server.auth.credentials import CredentialError, RelyingParty
from server.auth.secrets import (
    b64url_encode,
    hash_secret,
    new_device_id,
    new_enrollment_code,
    new_token,
    normalize_code,
)
from server.auth.sessions import open_session
from server.db import Store
from server.errors import BadRequest
from server.models import AuthMethod, Device, EnrollmentCode, Member
from server.services.audit import audit
from server.services.members import scope_summaries
from server.settings import Settings
from sync.json_value import JSONValueError, check_text

__all__ = [
    "EnrollOptions",
    "Enrollment",
    "InvalidCode",
    "begin_enrollment",
    "create_enrollment_code",
    "enroll_with_device_key",
    "enroll_with_passkey",
    "start_enrollment",
]

MAX_LABEL_CHARS = 64
# What a proven credential gives the new device: method, credential id, public key, signature counter.
Proof = tuple[AuthMethod, str | None, str, int]


@dataclass(frozen=True, kw_only=True)
class EnrollOptions:
    """What the member chose on the device, and how the session is carried."""

    label: str = ""
    shared: bool = False
    previous_device: str | None = None
    via_cookie: bool = True
    client: str | None = None


@dataclass(frozen=True)
class Enrollment:
    token: str
    csrf_token: str
    lockout_key: str
    device: Device
    member: Member
    grids: list[dict[str, Any]]
    previous_recovery_key: str | None


def relying_party(settings: Settings) -> RelyingParty:
    return RelyingParty(rp_id=settings.rp_id, rp_name=settings.rp_name, origin=settings.origin)


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


class InvalidCode(BadRequest):
    """An enrollment code that cannot be used. The client is told only that (unknown, expired and used
    codes get the same answer, so codes cannot be probed); ``reason`` and ``member_id`` are for the audit log.
    """

    def __init__(self, reason: str, member_id: int | None = None) -> None:
        super().__init__(
            "invalid_code",
            "this enrollment code is unknown, expired or already used",
            "登记码无效、已过期或已使用",
        )
        self.reason = reason
        self.member_id = member_id


async def _usable_code(
    session: AsyncSession, *, code_id: int | None, code: str | None, now: datetime
) -> EnrollmentCode:
    if code_id is not None:
        row = await session.get(EnrollmentCode, code_id)
    else:
        assert code is not None
        row = await session.scalar(
            select(EnrollmentCode).where(EnrollmentCode.code_hash == hash_secret(normalize_code(code)))
        )
    if row is None:
        raise InvalidCode("unknown")
    if row.used_at is not None:
        raise InvalidCode("used", row.member_id)
    if row.expires_at <= now:
        raise InvalidCode("expired", row.member_id)
    member = await session.get(Member, row.member_id)
    if member is None or not member.active:
        raise InvalidCode("member inactive", row.member_id)
    return row


async def begin_enrollment(
    store: Store, *, code: str, settings: Settings, now: datetime, client: str | None
) -> dict[str, Any]:
    """Step 1 as the API runs it: :func:`start_enrollment`, and every refused code audited (in a
    transaction of its own, since the refusal rolls the first back), so a coordinator can see guessing."""
    try:
        async with store.write() as session:
            return await start_enrollment(session, code=code, settings=settings, now=now)
    except InvalidCode as refused:
        async with store.write() as session:
            await audit(
                session,
                "enroll_code_refused",
                member_id=refused.member_id,
                client=client,
                reason=refused.reason,
            )
        raise


async def start_enrollment(
    session: AsyncSession, *, code: str, settings: Settings, now: datetime
) -> dict[str, Any]:
    """Step 1: check the code and open a ceremony; the answer carries both kinds of challenge."""
    row = await _usable_code(session, code_id=None, code=code, now=now)
    member = await session.get(Member, row.member_id)
    assert member is not None
    ceremony, challenge = await start_ceremony(
        session, kind="enroll", member_id=member.id, code_id=row.id, now=now
    )
    rp = relying_party(settings)
    return {
        "ceremony": ceremony.id,
        "member": {"id": member.id, "name": member.name},
        "passkey": credentials.registration_options(
            rp, member_id=member.id, member_name=member.name, challenge=challenge
        ),
        "device_key": {"challenge": b64url_encode(challenge)},
        "expires_in": int((ceremony.expires_at - now).total_seconds()),
    }


async def enroll_with_passkey(
    store: Store,
    *,
    ceremony_id: object,
    credential: object,
    options: EnrollOptions,
    settings: Settings,
    now: datetime,
) -> Enrollment:
    async def prove(challenge: bytes) -> Proof:
        verified = credentials.verify_registration(
            relying_party(settings), credential=credential, challenge=challenge
        )
        return AuthMethod.PASSKEY, verified.credential_id, verified.public_key, verified.sign_count

    return await _enroll(
        store, ceremony_id=ceremony_id, prove=prove, options=options, settings=settings, now=now
    )


async def enroll_with_device_key(
    store: Store, *, ceremony_id: object, public_key: object, signature: object, options: EnrollOptions,
    settings: Settings, now: datetime,
) -> Enrollment:  # fmt: skip
    async def prove(challenge: bytes) -> Proof:
        jwk = credentials.parse_device_key(public_key)
        message = credentials.device_key_message("lianhu-enroll", settings.origin, challenge)
        credentials.verify_device_key(public_key=jwk, message=message, signature=signature)
        return AuthMethod.DEVICE_KEY, None, jwk, 0

    return await _enroll(
        store, ceremony_id=ceremony_id, prove=prove, options=options, settings=settings, now=now
    )


def _check_options(options: EnrollOptions) -> None:
    if len(options.label) > MAX_LABEL_CHARS:
        raise BadRequest(
            "invalid_request", f"label must be at most {MAX_LABEL_CHARS} characters", "设备名称过长"
        )
    try:
        check_text(options.label, "label", allow_nul=False)
    except JSONValueError as error:
        raise BadRequest("invalid_request", str(error), "设备名称含有无效字符") from None


async def _enroll(
    store: Store,
    *,
    ceremony_id: object,
    prove: Callable[[bytes], Awaitable[Proof]],
    options: EnrollOptions,
    settings: Settings,
    now: datetime,
) -> Enrollment:
    _check_options(options)
    ceremony, challenge = await claim_ceremony(store, ceremony_id, kind="enroll", now=now)
    try:
        method, credential_id, public_key, sign_count = await prove(challenge)
    except CredentialError as error:
        async with store.write() as session:
            await audit(
                session,
                "enroll_failed",
                member_id=ceremony.member_id,
                client=options.client,
                reason=str(error),
            )
        raise BadRequest("invalid_credential", str(error), "凭据校验失败") from None

    async with store.write() as session:
        code = await _usable_code(session, code_id=ceremony.code_id, code=None, now=now)
        code.used_at = now
        member = await session.get(Member, code.member_id)
        assert member is not None
        previous_key = await _retire_previous(session, options.previous_device, member.id, now)
        lockout_key = new_token()
        device = Device(
            id=new_device_id(),
            member_id=member.id,
            label=options.label,
            method=method,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            shared=options.shared,
            recovery_key=b64url_encode(secrets.token_bytes(32)),
            lockout_key_hash=hash_secret(lockout_key),
            created_at=now,
        )
        session.add(device)
        await session.flush()
        token, live = await open_session(
            session, device, via_cookie=options.via_cookie, settings=settings, now=now
        )
        await audit(
            session, "enrolled", member_id=member.id, device_id=device.id, client=options.client,
            method=method.value, shared=options.shared, previous_device=options.previous_device,
        )  # fmt: skip
        grids = await scope_summaries(session, member)
        return Enrollment(token, live.csrf_token, lockout_key, device, member, grids, previous_key)


async def _retire_previous(
    session: AsyncSession, device_id: str | None, member_id: int, now: datetime
) -> str | None:
    """The recovery key of the member's earlier device in this browser, which this enrollment replaces."""
    if device_id is None:
        return None
    previous = await session.get(Device, device_id)
    if previous is None or previous.member_id != member_id or not previous.recovery_key:
        return None  # someone else's device, or an unknown one: give nothing away
    previous.revoked_at = previous.revoked_at or now
    return previous.recovery_key
