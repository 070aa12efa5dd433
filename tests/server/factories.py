"""Small typed factories: a two-grid world with enrolled phones, and ops shaped like the PWA's."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.db import Store
from server.models import Area, AreaLevel, Household
from server.services.enrollment import create_enrollment_code, enroll_device
from server.services.members import add_member
from sync import HybridClock, uuid7


@dataclass
class Phone:
    """An enrolled device of one member, with its own hybrid clock."""

    member_id: int
    device_id: str
    token: str
    clock: HybridClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.device_id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

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
    alice: Phone  # member of grid A
    bob: Phone  # member of grid A
    carol: Phone  # member of grid B


async def enroll_phone(store: Store, *, name: str, grid_ids: list[int]) -> Phone:
    now = datetime.now(UTC)
    async with store.write() as session:
        member = await add_member(session, name=name, grid_ids=grid_ids)
        code, _ = await create_enrollment_code(session, member_id=member.id, ttl=timedelta(hours=1), now=now)
        enrollment = await enroll_device(session, code=code, label=f"{name}的手机", now=now)
        return Phone(member_id=member.id, device_id=enrollment.device.id, token=enrollment.token)


async def make_world(store: Store) -> World:
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
        grid_a_id, grid_b_id = grid_a.id, grid_b.id
    return World(
        grid_a=grid_a_id,
        grid_b=grid_b_id,
        households_a=households[grid_a_id],
        households_b=households[grid_b_id],
        alice=await enroll_phone(store, name="李华", grid_ids=[grid_a_id]),
        bob=await enroll_phone(store, name="张伟", grid_ids=[grid_a_id]),
        carol=await enroll_phone(store, name="陈静", grid_ids=[grid_b_id]),
    )
