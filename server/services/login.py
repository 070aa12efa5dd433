"""Login of an enrolled device (passkey or device key), logout, and the PIN-lockout report.

Same shape as enrollment: start a ceremony; take it (deletion committed); check the answer; then, in a fresh
transaction, open a new session, which ends the device's earlier ones (rotation).

A device-key login also proves the PIN (issue 9, hole 6): next to the signature comes ``pin_proof``, an
HMAC over the challenge keyed by the PIN verifier the app registered after enrollment (PBKDF2 of the PIN;
the PIN itself never leaves the phone). The signature is checked first: a bad one says nothing about the
PIN and is not counted against the device, so a colleague who knows its id cannot lock it. Wrong proofs
are counted on the device; the fifth in a row locks it, as five wrong PINs in the app do.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import credentials
from server.auth.ceremonies import claim_ceremony, start_ceremony
from server.auth.credentials import CounterRegression, CredentialError
from server.auth.secrets import b64url_decode, b64url_encode, hash_secret
from server.auth.sessions import end_sessions, open_session
from server.db import Store
from server.errors import BadRequest, Conflict, Unauthenticated
from server.models import AuthMethod, Device, Member
from server.services.audit import audit
from server.services.enrollment import relying_party
from server.services.members import scope_summaries
from server.settings import Settings

__all__ = [
    "MAX_WRONG_PINS",
    "Login",
    "login_with_device_key",
    "login_with_passkey",
    "logout",
    "pin_proof_message",
    "register_pin_verifier",
    "report_lockout",
    "start_login",
]

MAX_WRONG_PINS = 5
PIN_VERIFIER_BYTES = 32


@dataclass(frozen=True)
class Login:
    token: str
    csrf_token: str
    device: Device
    member: Member
    grids: list[dict[str, Any]]


def _plausible_device_id(device_id: object) -> TypeGuard[str]:
    """Whether ``device_id`` could name a device; a NUL even makes PostgreSQL refuse the lookup (500)."""
    return isinstance(device_id, str) and len(device_id) <= 32 and "\x00" not in device_id


async def _usable_device(session: AsyncSession, device_id: object) -> tuple[Device, Member]:
    device = await session.get(Device, device_id) if _plausible_device_id(device_id) else None
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
Proven = Callable[[str], None]  # told the device id once its credential checked out; may raise RateLimited
PinCheck = Callable[[Device, bytes], Awaitable[None]]


def _not_counted(device_id: str) -> None:
    return None


async def login_with_passkey(
    store: Store, *, ceremony_id: object, credential: object, via_cookie: bool, client: str | None,
    settings: Settings, now: datetime, proven: Proven = _not_counted,
) -> Login:  # fmt: skip
    async def prove(device: Device, challenge: bytes) -> int | None:
        if device.method != AuthMethod.PASSKEY or device.credential_id is None:
            raise CredentialError("this device logs in with its device key, not a passkey")
        return credentials.verify_authentication(
            relying_party(settings), credential=credential, challenge=challenge,
            credential_id=device.credential_id, public_key=device.public_key, sign_count=device.sign_count,
        )  # fmt: skip

    return await _login(
        store, ceremony_id, prove, None, proven=proven, via_cookie=via_cookie, client=client,
        settings=settings, now=now,
    )  # fmt: skip


async def login_with_device_key(
    store: Store, *, ceremony_id: object, signature: object, pin_proof: object, via_cookie: bool,
    client: str | None, settings: Settings, now: datetime, proven: Proven = _not_counted,
) -> Login:  # fmt: skip
    async def prove(device: Device, challenge: bytes) -> int | None:
        if device.method != AuthMethod.DEVICE_KEY:
            raise CredentialError("this device logs in with its passkey, not a device key")
        message = credentials.device_key_message("lianhu-login", settings.origin, challenge)
        credentials.verify_device_key(public_key=device.public_key, message=message, signature=signature)
        return None

    async def check_pin(device: Device, challenge: bytes) -> None:
        await _check_pin_proof(
            store, device, challenge, pin_proof, origin=settings.origin, client=client, now=now
        )

    return await _login(
        store, ceremony_id, prove, check_pin, proven=proven, via_cookie=via_cookie, client=client,
        settings=settings, now=now,
    )  # fmt: skip


async def _login(
    store: Store, ceremony_id: object, prove: Prove, check_pin: PinCheck | None, *, proven: Proven,
    via_cookie: bool, client: str | None, settings: Settings, now: datetime,
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
    # Only now is this the device itself (or a script holding its key): only now may it use up the
    # device's own allowance. Failed guesses count against the caller's address alone (issue 9, hole 5).
    proven(device.id)
    if check_pin is not None:
        await check_pin(device, challenge)
    async with store.write() as session:
        device, member = await _usable_device(session, device.id)
        if new_count is not None:
            device.sign_count = new_count
        device.failed_pins = 0
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


def pin_proof_message(origin: str, challenge: bytes) -> bytes:
    """What the PIN proof is an HMAC of: like the signed message, with its own purpose."""
    return credentials.device_key_message("lianhu-login-pin", origin, challenge)


def _pin_proof_matches(verifier: str, proof: object, *, origin: str, challenge: bytes) -> bool:
    if not isinstance(proof, str):
        return False
    try:
        provided = b64url_decode(proof)
    except ValueError:
        return False
    expected = hmac.new(b64url_decode(verifier), pin_proof_message(origin, challenge), hashlib.sha256)
    return hmac.compare_digest(expected.digest(), provided)


async def _check_pin_proof(
    store: Store, device: Device, challenge: bytes, proof: object, *, origin: str, client: str | None,
    now: datetime,
) -> None:  # fmt: skip
    """Pass if ``proof`` shows the PIN; otherwise count it on the device and raise (locking at 5)."""
    if device.pin_verifier is None:
        async with store.write() as session:
            await audit(
                session, "login_failed", member_id=device.member_id, device_id=device.id, client=client,
                reason="no PIN verifier registered",
            )  # fmt: skip
        raise Unauthenticated(
            "this device never registered a PIN verifier, so its key alone cannot log in; enroll it again"
        )
    if proof is None:  # not a guess: a client that does not know about PINs (not counted)
        raise BadRequest(
            "pin_required",
            "a device-key login needs pin_proof, made from the member's PIN (docs/sync-protocol.md §2.2)",
            "登录需要验证 PIN 码",
        )
    if _pin_proof_matches(device.pin_verifier, proof, origin=origin, challenge=challenge):
        return
    async with store.write() as session:
        current = await session.get(Device, device.id)
        assert current is not None
        usable = current.usable
        if usable:
            current.failed_pins += 1
            failed = current.failed_pins
            if failed >= MAX_WRONG_PINS:
                current.locked_at = now
                await end_sessions(session, device_id=current.id, reason="pin_lockout", now=now)
                await audit(
                    session, "pin_lockout", member_id=current.member_id, device_id=current.id,
                    client=client, by="server", failed=failed,
                )  # fmt: skip
            else:
                await audit(
                    session, "pin_failed", member_id=current.member_id, device_id=current.id,
                    client=client, failed=failed,
                )  # fmt: skip
    if not usable:
        raise Unauthenticated("this device cannot log in (unknown, revoked or locked); enroll it again")
    if failed >= MAX_WRONG_PINS:
        raise Unauthenticated(
            f"{failed} wrong PINs in a row: this device is now locked; enroll it again with a new code",
            code="pin_locked",
            message_zh="PIN 码错误次数过多，本设备已锁定，请联系社区重新登记",
        )
    left = MAX_WRONG_PINS - failed
    raise BadRequest(
        "wrong_pin",
        f"the PIN is wrong; {left} more wrong PIN(s) will lock this device",
        f"PIN 码错误，还可以再试 {left} 次",
        extra={"attempts_left": left},
    )


async def register_pin_verifier(
    session: AsyncSession, *, device_id: str, member_id: int, verifier: object, client: str | None
) -> None:
    """Store the PIN verifier of a device-key device, once (enrollment's last step, §1).

    Once set it cannot be replaced through the API: a script that got hold of a session must not be able
    to swap in a PIN it knows. Sending the same verifier again is harmless (a retry after a lost answer).
    """
    device = await session.get(Device, device_id)
    assert device is not None
    if device.method != AuthMethod.DEVICE_KEY:
        raise BadRequest(
            "invalid_request",
            "a passkey checks the member itself (user verification): only device keys register a PIN",
            "通行密钥设备无需登记 PIN 码",
        )
    try:
        raw = b64url_decode(verifier) if isinstance(verifier, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != PIN_VERIFIER_BYTES:
        raise BadRequest(
            "invalid_request",
            f"verifier must be base64url of {PIN_VERIFIER_BYTES} bytes (PBKDF2-SHA-256 of the PIN)",
            "请求格式错误",
        )
    if device.pin_verifier is not None:
        if hmac.compare_digest(b64url_decode(device.pin_verifier), raw):
            return
        raise Conflict(
            "pin_already_set",
            "this device has registered its PIN verifier already; to change the PIN, enroll again",
            "本设备已登记 PIN 码；如需更换，请重新登记",
        )
    device.pin_verifier = b64url_encode(raw)
    await audit(session, "pin_registered", member_id=member_id, device_id=device.id, client=client)


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
    device = await session.get(Device, device_id) if _plausible_device_id(device_id) else None
    if device is None or device.locked_at is not None or not isinstance(lockout_key, str):
        return
    if not hmac.compare_digest(hash_secret(lockout_key), device.lockout_key_hash):
        return
    device.locked_at = now
    await end_sessions(session, device_id=device.id, reason="pin_lockout", now=now)
    await audit(session, "pin_lockout", member_id=device.member_id, device_id=device.id, client=client)
