"""A community built through the server's own services: areas, households, members with enrolled devices,
and a year of visits pushed through ``push_ops``, exactly as the sync API would store them.

The issue's community: 20,000 households in 50 grids of 400, one grid worker per grid with one phone (the
50 devices of the fan-in), and a community coordinator (社区) whose grid-station tablet syncs all of it.
A year of records is ~100,000 ops, 2,000 per phone (new visits and edits). The fan-in pushes exactly these
ops over HTTP; ``load_ops`` stores the same ops through ``push_ops`` in-process, so either way gives the
same community. Everything scales with the run's scale.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from server import migrate
from server.auth.principal import Principal, authenticate
from server.db import Store
from server.models import Area, AreaLevel, Household, Role
from server.services.enrollment import create_enrollment_code
from server.services.members import add_member
from server.services.push import PushLimits, push_ops
from server.settings import Settings
from tests.server.factories import Phone, enroll_phone

from .ops import DAY_MS, YEAR_MS, VisitWriter

__all__ = [
    "Community", "Device", "add_devices", "build_community", "enrollment_code", "load_ops", "principal_of",
    "year_of_visits",
]  # fmt: skip

ESTATES = ("幸福里小区", "和园小区", "柳云小区", "明湖花园", "泉城新苑", "北坦小区", "清河苑", "锦绣城")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国玉淑珍志海燕红梅春生德福凤"
TAGS = ("elderly_alone", "frail", "low_income", "left_behind_child", "disability")
LIMITS = PushLimits(max_op_bytes=65536, max_clock_ahead_ms=86_400_000)
BATCH = 200


@dataclass
class Device:
    """A member's enrolled phone: bearer token, replica id, and the households of its grid."""

    member_id: int
    device_id: str
    token: str
    grid_id: int
    households: list[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Community:
    community_id: int
    grids: dict[int, list[str]]  # grid id -> household ids
    devices: list[Device] = field(default_factory=list)
    coordinator_id: int = 0  # a 社区 coordinator with no device yet (the tablet enrolls it in the browser)

    @property
    def households(self) -> int:
        return sum(len(h) for h in self.grids.values())


def settings_for(url: str, origin: str = "http://localhost:8000") -> Settings:
    return Settings(database_url=url, secret_key="f" * 40, origin=origin)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


async def build_community(
    url: str, *, households: int, grids: int, members_per_grid: int = 1, seed: int = 8
) -> Community:
    """Migrate ``url`` and fill it with one street, one community, its grids, households and members."""
    await migrate.upgrade(url)
    store = Store(url)
    rng = random.Random(seed)
    try:
        async with store.write() as session:
            street = Area(level=AreaLevel.STREET, name="天桥东街街道", code="B")
            session.add(street)
            await session.flush()
            community = Area(level=AreaLevel.COMMUNITY, name="七里河社区", code="B-1", parent_id=street.id)
            session.add(community)
            await session.flush()
            grid_rows = [
                Area(level=AreaLevel.GRID, name=f"第{n}网格", code=f"B-1-{n}", parent_id=community.id)
                for n in range(1, grids + 1)
            ]
            session.add_all(grid_rows)
            await session.flush()
            per_grid = max(1, households // grids)
            by_grid: dict[int, list[str]] = {}
            rows: list[dict[str, Any]] = []
            for g, grid in enumerate(grid_rows):
                estate = ESTATES[g % len(ESTATES)]
                ids = by_grid.setdefault(grid.id, [])
                for n in range(per_grid):
                    building, unit, room = n // 48 + 1, n % 48 // 12 + 1, f"{n % 12 // 2 + 1}0{n % 2 + 1}"
                    tags = [t for t in TAGS if rng.random() < 0.06]
                    ids.append(f"hh-{g:03d}-{n:05d}")
                    rows.append({
                        "id": ids[-1], "grid_id": grid.id, "building": f"{building}号楼",
                        "unit": f"{unit}单元",
                        "room": room, "address": f"{estate}{building}号楼{unit}单元{room}",
                        "head_name": _person(rng), "phone": f"13{rng.randint(0, 999_999_999):09d}",
                        "tags": tags, "care_level": "yellow" if tags else "green",
                    })  # fmt: skip
            for start in range(0, len(rows), 5000):
                await session.execute(insert(Household), rows[start : start + 5000])
            coordinator = await add_member(
                session, name=_person(rng), area_ids=[community.id], role=Role.COMMUNITY
            )
            world = Community(community_id=community.id, grids=by_grid, coordinator_id=coordinator.id)
        settings = settings_for(url)
        for grid_id, ids in world.grids.items():
            for _ in range(members_per_grid):
                phone = await enroll_phone(store, settings, name=_person(rng), area_ids=[grid_id])
                world.devices.append(_device(phone, grid_id, ids))
        return world
    finally:
        await store.dispose()


async def add_devices(url: str, world: Community, count: int, *, seed: int = 9) -> list[Device]:
    """``count`` more members with one phone each, spread over the grids (``world`` is not changed)."""
    store = Store(url)
    rng = random.Random(seed)
    grid_ids = list(world.grids)
    added: list[Device] = []
    try:
        settings = settings_for(url)
        for n in range(count):
            grid_id = grid_ids[n % len(grid_ids)]
            phone = await enroll_phone(store, settings, name=_person(rng), area_ids=[grid_id])
            added.append(_device(phone, grid_id, world.grids[grid_id]))
    finally:
        await store.dispose()
    return added


def _device(phone: Phone, grid_id: int, households: list[str]) -> Device:
    return Device(phone.member_id, phone.device_id, phone.token, grid_id, households)


async def principal_of(store: Store, device: Device) -> Principal:
    async with store.read() as session:
        return await authenticate(
            session, method="POST", cookie=None, authorization=f"Bearer {device.token}", csrf_header=None,
            now=datetime.now(UTC),
        )  # fmt: skip


def year_of_visits(devices: list[Device], *, ops: int, seed: int = 10) -> list[list[dict[str, Any]]]:
    """``ops`` visit ops spread over the past year, shared out among ``devices``: one list per device."""
    now_ms = time.time_ns() // 1_000_000
    per_device = max(1, ops // len(devices))
    # Steps of step_ms on average (VisitWriter draws 1…2×step_ms): the visits reach from a year ago to about
    # two weeks ago (the sum's spread is ~5 days), never past now. (Half a year, before issue 8's snapshot,
    # which sends the last month first: no visit was recent then.)
    span = YEAR_MS - 14 * DAY_MS
    out = []
    for n, device in enumerate(devices):
        writer = VisitWriter(
            device.device_id, device.households, seed=seed * 100_000 + n,
            start_ms=now_ms - YEAR_MS, step_ms=max(1, span // per_device),
        )  # fmt: skip
        out.append(list(writer.ops(per_device)))
    return out


async def load_ops(url: str, devices: list[Device], ops: list[list[dict[str, Any]]]) -> None:
    """Store each device's ops through ``push_ops`` in batches of 200 (one write transaction each)."""
    store = Store(url)
    try:
        for device, mine in zip(devices, ops, strict=True):
            principal = await principal_of(store, device)
            for start in range(0, len(mine), BATCH):
                async with store.write() as session:
                    results = await push_ops(
                        session, principal, mine[start : start + BATCH], limits=LIMITS,
                        now_ms=time.time_ns() // 1_000_000,
                    )  # fmt: skip
                bad = [r for r in results if r.status != "accepted"]
                if bad:
                    raise RuntimeError(f"fixture op not accepted: {bad[0]}")
    finally:
        await store.dispose()


async def enrollment_code(url: str, member_id: int) -> str:
    store = Store(url)
    try:
        async with store.write() as session:
            code, _ = await create_enrollment_code(
                session, member_id=member_id, ttl=timedelta(hours=2), now=datetime.now(UTC)
            )
        return code
    finally:
        await store.dispose()


# Built once per run and shared: the fan-in leaves its SQLite database here (the same community, the same
# ops as ``community_sqlite`` would build), so a full ``make bench`` does not push 100,000 ops twice.
CACHE: dict[str, Any] = {}


@dataclass
class Built:
    path: Path  # an SQLite file nobody writes to any more: copy it (``copy_sqlite``) before use
    world: Community
    ops: list[list[dict[str, Any]]]


def community_size(scale_sized: Any) -> dict[str, int]:
    """The community's size at the run's scale: ``scale_sized`` is ``Run.sized``."""
    return {
        "households": scale_sized(20_000, minimum=500),
        "grids": 50,
        "ops": scale_sized(100_000, minimum=2000),
    }


def community_sqlite(run: Any) -> Built:
    """The community with a year of visits on SQLite (from the fan-in if it ran in this run)."""
    if "sqlite" not in CACHE:
        size = community_size(run.sized)
        path = run.path("community", "community.sqlite3")
        url = f"sqlite+aiosqlite:///{path}"
        print(
            f"  building the community: {size['households']:,} households, {size['ops']:,} ops …", flush=True
        )
        world = asyncio.run(build_community(url, households=size["households"], grids=size["grids"]))
        ops = year_of_visits(world.devices, ops=size["ops"])
        asyncio.run(load_ops(url, world.devices, ops))
        CACHE["sqlite"] = Built(path, world, ops)
    built: Built = CACHE["sqlite"]
    return built


def copy_sqlite(source: Path, target: Path) -> str:
    """A copy through SQLite's backup API (it also takes what still sits in the WAL); returns its URL."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return f"sqlite+aiosqlite:///{target}"


async def new_member_code(url: str, grid_id: int, name: str = "赵敏") -> str:
    """A new grid member with no device yet, and a one-time code to enroll the phone in the browser."""
    store = Store(url)
    try:
        async with store.write() as session:
            member = await add_member(session, name=name, area_ids=[grid_id])
            member_id = member.id
    finally:
        await store.dispose()
    return await enrollment_code(url, member_id)


@dataclass
class BuiltPg:
    database: str  # a database of the run's shared cluster nobody writes to: use it as a TEMPLATE
    world: Community
    ops: list[list[dict[str, Any]]]


def community_postgres(run: Any) -> BuiltPg:
    """The same community on PostgreSQL, in the run's shared cluster (from the fan-in if it ran)."""
    from . import postgres

    if "postgres" not in CACHE:
        size = community_size(run.sized)
        url = postgres.create_database(postgres.shared(run), "community")
        print(f"  building the community on PostgreSQL: {size['ops']:,} ops …", flush=True)
        world = asyncio.run(build_community(url, households=size["households"], grids=size["grids"]))
        ops = year_of_visits(world.devices, ops=size["ops"])
        asyncio.run(load_ops(url, world.devices, ops))
        CACHE["postgres"] = BuiltPg("community", world, ops)
    built: BuiltPg = CACHE["postgres"]
    return built
