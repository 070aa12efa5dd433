"""Login of an enrolled device (passkey or device key), logout, and the PIN-lockout report.

Same shape as enrollment: start a ceremony; take it (deletion committed); check the answer; then, in a fresh
transaction, open a new session, which ends the device's earlier ones (rotation).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import credentials
from server.auth.ceremonies import claim_ceremony, start_ceremony
from server.auth.credentials import CounterRegression, CredentialError
from server.auth.secrets import b64url_encode, hash_secret
from server.auth.sessions import end_sessions, open_session
from server.db import Store
from server.errors import BadRequest, Unauthenticated
from server.models import AuthMethod, Device, Member
from server.services.audit import audit
from server.services.enrollment import relying_party
from server.services.members import scope_summaries
from server.settings import Settings

__all__ = ["Login", "login_with_device_key", "login_with_passkey", "logout", "report_lockout", "start_login"]


@dataclass(frozen=True)
class Login:
    token: str
    csrf_token: str
    device: Device
    member: Member
    grids: list[dict[str, Any]]


async def _usable_device(session: AsyncSession, device_id: object) -> tuple[Device, Member]:
    device = (
        await session.get(Device, device_id) if isinstance(device_id, str) and len(device_id) <= 32 else None
    )
    member = await session.get(Member, device.member_id) if device is not None else None
    if device is None or member is None or not device.usable or not member.active:
        raise Unauthenticated("this device cannot log in (unknown, revoked or locked); enroll it again")
    return device, member


async def start_login(
    session: AsyncSession, *, device_id: object, settings: Settings, now: datetime
) -> dict[str, Any]:
    device, member = await _usable_device(session, device_id)
    ceremony, challenge = await start_ceremony(
        session, kind="login", member_id=member.id, device_id=device.id, now=now
    )
    answer: dict[str, Any] = {"ceremony": ceremony.id, "method": device.method.value}
    if device.method == AuthMethod.PASSKEY:
        assert device.credential_id is not None
        answer["passkey"] = credentials.authentication_options(
            relying_party(settings), credential_id=device.credential_id, challenge=challenge
        )
    else:
        answer["device_key"] = {"challenge": b64url_encode(challenge)}
    return answer


Prove = Callable[[Device, bytes], Awaitable[int | None]]  # returns the new passkey counter, if any


async def login_with_passkey(
    store: Store, *, ceremony_id: object, credential: object, via_cookie: bool, client: str | None,
    settings: Settings, now: datetime,
) -> Login:  # fmt: skip
    async def prove(device: Device, challenge: bytes) -> int | None:
        if device.method != AuthMethod.PASSKEY or device.credential_id is None:
            raise CredentialError("this device logs in with its device key, not a passkey")
        return credentials.verify_authentication(
            relying_party(settings), credential=credential, challenge=challenge,
            credential_id=device.credential_id, public_key=device.public_key, sign_count=device.sign_count,
        )  # fmt: skip

    return await _login(
        store, ceremony_id, prove, via_cookie=via_cookie, client=client, settings=settings, now=now
    )


async def login_with_device_key(
    store: Store, *, ceremony_id: object, signature: object, via_cookie: bool, client: str | None,
    settings: Settings, now: datetime,
) -> Login:  # fmt: skip
    async def prove(device: Device, challenge: bytes) -> int | None:
        if device.method != AuthMethod.DEVICE_KEY:
            raise CredentialError("this device logs in with its passkey, not a device key")
        message = credentials.device_key_message("lianhu-login", settings.origin, challenge)
        credentials.verify_device_key(public_key=device.public_key, message=message, signature=signature)
        return None

    return await _login(
        store, ceremony_id, prove, via_cookie=via_cookie, client=client, settings=settings, now=now
    )


async def _login(
    store: Store, ceremony_id: object, prove: Prove, *, via_cookie: bool, client: str | None,
    settings: Settings, now: datetime,
) -> Login:  # fmt: skip
    ceremony, challenge = await claim_ceremony(store, ceremony_id, kind="login", now=now)
    async with store.read() as session:
        device, _ = await _usable_device(session, ceremony.device_id)
    try:
        new_count = await prove(device, challenge)
    except CredentialError as error:
        regression = isinstance(error, CounterRegression)
        async with store.write() as session:
            await audit(
                session, "counter_regression" if regression else "login_failed",
                member_id=device.member_id, device_id=device.id, client=client, reason=str(error),
            )  # fmt: skip
        raise BadRequest("invalid_credential", str(error), "凭据校验失败") from None
    async with store.write() as session:
        device, member = await _usable_device(session, device.id)
        if new_count is not None:
            device.sign_count = new_count
        token, live = await open_session(session, device, via_cookie=via_cookie, settings=settings, now=now)
        await audit(
            session,
            "login",
            member_id=member.id,
            device_id=device.id,
            client=client,
            method=device.method.value,
        )
        grids = await scope_summaries(session, member)
        return Login(token, live.csrf_token, device, member, grids)


async def logout(
    session: AsyncSession, *, session_id: int, member_id: int, device_id: str, now: datetime
) -> None:
    await end_sessions(session, session_id=session_id, reason="logout", now=now)
    await audit(session, "logout", member_id=member_id, device_id=device_id)


async def report_lockout(
    session: AsyncSession, *, device_id: object, lockout_key: object, client: str | None, now: datetime
) -> None:
    """The app says 5 wrong PINs locked this device: lock it server-side and end its sessions.

    The report must carry the device's ``lockout_key`` (given only to that device at enrollment), so a
    colleague who knows a device id from pulled ops cannot lock it. Unknown devices and wrong keys get the
    same silent answer, so the endpoint tells nothing about which devices exist.
    """
    device = (
        await session.get(Device, device_id) if isinstance(device_id, str) and len(device_id) <= 32 else None
    )
    if device is None or device.locked_at is not None or not isinstance(lockout_key, str):
        return
    if not hmac.compare_digest(hash_secret(lockout_key), device.lockout_key_hash):
        return
    device.locked_at = now
    await end_sessions(session, device_id=device.id, reason="pin_lockout", now=now)
    await audit(session, "pin_lockout", member_id=device.member_id, device_id=device.id, client=client)
