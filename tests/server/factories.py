"""Small typed factories: a two-grid world with enrolled phones, and ops shaped like the PWA's."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from server.auth.secrets import b64url_encode
from server.db import Store
from server.models import Area, AreaLevel, Household, Role
from server.services.enrollment import (
    Enrollment,
    EnrollOptions,
    create_enrollment_code,
    enroll_with_device_key,
    start_enrollment,
)
from server.services.login import register_pin_verifier
from server.services.members import add_member
from server.settings import Settings
from sync import HybridClock, uuid7


@dataclass
class Phone:
    """An enrolled device of one member, with its own hybrid clock."""

    member_id: int
    device_id: str
    token: str
    key: DeviceKey
    lockout_key: str
    pin_verifier: bytes = b""  # what the app registered after enrollment (PBKDF2 of its PIN)
    clock: HybridClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.device_id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def login_answer(self, origin: str, challenge: str, *, pin: str | None = None) -> dict[str, str]:
        """What the app sends to /api/login/device-key: the signature and the PIN proof (with another
        PIN than the one registered when ``pin`` is given)."""
        verifier = self.pin_verifier if pin is None else pin_verifier(pin)
        return {"signature": self.key.sign("lianhu-login", origin, challenge),
                "pin_proof": pin_proof(verifier, origin, challenge)}  # fmt: skip

    def op(self, *, household: str, record: str | None = None, **overrides: Any) -> dict[str, Any]:
        """A ``set`` op creating (or, with ``record``, editing) a visit; override any key."""
        op: dict[str, Any] = {
            "id": uuid7(),
            "record": record or uuid7(),
            "type": "visit",
            "household": household,
            "clock": self.clock.now(time.time_ns() // 1_000_000),
            "replica": self.device_id,
            "kind": "set",
            "fields": {"date": "2026-11-21", "items": ["policy", "safety"], "notes": "老人身体尚好"},
        }
        op.update(overrides)
        return op


@dataclass
class World:
    grid_a: int
    grid_b: int
    households_a: list[str]
    households_b: list[str]
    community: int
    alice: Phone  # member of grid A
    bob: Phone  # member of grid A
    carol: Phone  # member of grid B
    dora: Phone  # community coordinator (社区) above grids A and B


class DeviceKey:
    """What the PWA's WebCrypto fallback does, in Python: an ECDSA P-256 key that signs challenges."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())

    @property
    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64url_encode(numbers.x.to_bytes(32, "big")),
                "y": b64url_encode(numbers.y.to_bytes(32, "big"))}  # fmt: skip

    def sign(self, purpose: str, origin: str, challenge: str) -> str:
        der = self.private.sign(f"{purpose}\n{origin}\n{challenge}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


PIN = "258036"
PIN_SALT = b"lianhu-test-salt"


def pin_verifier(pin: str = PIN, salt: bytes = PIN_SALT) -> bytes:
    """The app's PIN verifier (docs/sync-protocol.md §1), with few iterations: the server never sees them."""
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 1000, 32)


def pin_proof(verifier: bytes, origin: str, challenge: str) -> str:
    """HMAC-SHA-256 of "lianhu-login-pin\n" + origin + "\n" + challenge under the verifier."""
    message = f"lianhu-login-pin\n{origin}\n{challenge}".encode()
    return b64url_encode(hmac.new(verifier, message, hashlib.sha256).digest())


async def register_pin(store: Store, member_id: int, device_id: str, verifier: bytes) -> None:
    async with store.write() as session:
        await register_pin_verifier(
            session, device_id=device_id, member_id=member_id, verifier=b64url_encode(verifier), client=None
        )


async def new_code(store: Store, member_id: int) -> str:
    async with store.write() as session:
        code, _ = await create_enrollment_code(
            session, member_id=member_id, ttl=timedelta(hours=1), now=datetime.now(UTC)
        )
    return code


async def enroll_with_key(
    store: Store, settings: Settings, code: str, key: DeviceKey, **options: Any
) -> Enrollment:
    now = datetime.now(UTC)
    async with store.write() as session:
        start = await start_enrollment(session, code=code, settings=settings, now=now)
    signature = key.sign("lianhu-enroll", settings.origin, start["device_key"]["challenge"])
    return await enroll_with_device_key(
        store, ceremony_id=start["ceremony"], public_key=key.jwk, signature=signature,
        options=EnrollOptions(via_cookie=False, **options), settings=settings, now=now,
    )  # fmt: skip


async def enroll_phone(
    store: Store, settings: Settings, *, name: str, area_ids: list[int], role: Role = Role.MEMBER
) -> Phone:
    async with store.write() as session:
        member = await add_member(session, name=name, area_ids=area_ids, role=role)
    key = DeviceKey()
    enrollment = await enroll_with_key(
        store, settings, await new_code(store, member.id), key, label=f"{name}的手机"
    )
    await register_pin(store, member.id, enrollment.device.id, pin_verifier())
    return Phone(
        member_id=member.id,
        device_id=enrollment.device.id,
        token=enrollment.token,
        key=key,
        lockout_key=enrollment.lockout_key,
        pin_verifier=pin_verifier(),
    )


async def make_world(store: Store, settings: Settings) -> World:
    async with store.write() as session:
        street = Area(level=AreaLevel.STREET, name="天桥东街街道", code="S")
        session.add(street)
        await session.flush()
        community = Area(level=AreaLevel.COMMUNITY, name="七里河社区", code="S-1", parent_id=street.id)
        session.add(community)
        await session.flush()
        grid_a = Area(level=AreaLevel.GRID, name="第1网格", code="S-1-1", parent_id=community.id)
        grid_b = Area(level=AreaLevel.GRID, name="第2网格", code="S-1-2", parent_id=community.id)
        session.add_all([grid_a, grid_b])
        await session.flush()
        households: dict[int, list[str]] = {grid_a.id: [], grid_b.id: []}
        for grid in (grid_a, grid_b):
            for n in range(1, 4):
                household_id = f"hh-{grid.code}-{n}"
                households[grid.id].append(household_id)
                session.add(
                    Household(
                        id=household_id,
                        grid_id=grid.id,
                        building="1号楼",
                        unit="1单元",
                        room=f"{n}01",
                        address=f"幸福里小区1号楼1单元{n}01",
                        head_name="王秀英",
                        phone=None,
                        tags=["elderly_alone"] if n == 1 else [],
                        care_level="yellow" if n == 1 else "green",
                    )
                )
        grid_a_id, grid_b_id, community_id = grid_a.id, grid_b.id, community.id
    return World(
        grid_a=grid_a_id,
        grid_b=grid_b_id,
        households_a=households[grid_a_id],
        households_b=households[grid_b_id],
        community=community_id,
        alice=await enroll_phone(store, settings, name="李华", area_ids=[grid_a_id]),
        bob=await enroll_phone(store, settings, name="张伟", area_ids=[grid_a_id]),
        carol=await enroll_phone(store, settings, name="陈静", area_ids=[grid_b_id]),
        dora=await enroll_phone(store, settings, name="刘芳", area_ids=[community_id], role=Role.COMMUNITY),
    )
