"""Demo data: one street, five communities, 40 grids, 3,000 households, two members per grid, coordinators.

Names, estates and addresses are made up but shaped like the seed reports (Jinan's Tianqiao district).
Generation is seeded, so every fresh database gets the same demo world.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Area, AreaLevel, Assignment, Household, Member, Role

__all__ = ["DemoSummary", "is_empty", "load_demo"]

STREET = "天桥东街街道"
COMMUNITIES = ("七里河社区", "北园社区", "堤口路社区", "工人新村社区", "凤凰山社区")
ESTATES = ("幸福里小区", "和园小区", "柳云小区", "明湖花园", "泉城新苑", "北坦小区", "清河苑", "锦绣城")
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国玉兰淑珍志强海燕红梅春生德福凤英"
GRIDS_PER_COMMUNITY = 8
HOUSEHOLDS_PER_GRID = 75
MEMBERS_PER_GRID = 2
NAMESPACE = uuid.UUID("5f0e8f1c-8d0e-4a8b-9a51-6c69616e6875")


@dataclass(frozen=True)
class DemoSummary:
    grids: int
    households: int
    members: int
    first_member_id: int


def _person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def _tags(rng: random.Random, age_band: int) -> list[str]:
    tags = []
    if age_band >= 2 and rng.random() < 0.35:
        tags.append("elderly_alone")
    for tag, p in (
        ("frail", 0.08),
        ("low_income", 0.06),
        ("petition_focus", 0.02),
        ("left_behind_child", 0.03),
    ):
        if rng.random() < p:
            tags.append(tag)
    if rng.random() < 0.03:
        tags.append("disability")
    return tags


def _care_level(tags: list[str]) -> str:
    if "elderly_alone" in tags or "petition_focus" in tags:
        return "orange" if len(tags) > 1 else "yellow"
    return "blue" if tags else "green"


async def is_empty(session: AsyncSession) -> bool:
    return (await session.scalar(select(func.count()).select_from(Area))) == 0


async def load_demo(session: AsyncSession, *, seed: int = 2025) -> DemoSummary:
    """Insert the demo world. The caller decides whether the database is empty enough for it."""
    rng = random.Random(seed)
    street = Area(level=AreaLevel.STREET, name=STREET, code="TQDJ")
    session.add(street)
    await session.flush()
    households: list[dict[str, object]] = []
    grid_ids: list[int] = []
    community_ids: list[int] = []
    for c_index, community_name in enumerate(COMMUNITIES, start=1):
        community = Area(
            level=AreaLevel.COMMUNITY, name=community_name, code=f"TQDJ-{c_index:02d}", parent_id=street.id
        )
        session.add(community)
        await session.flush()
        community_ids.append(community.id)
        for g_index in range(1, GRIDS_PER_COMMUNITY + 1):
            grid = Area(
                level=AreaLevel.GRID,
                name=f"第{g_index}网格",
                code=f"TQDJ-{c_index:02d}-{g_index:02d}",
                parent_id=community.id,
            )
            session.add(grid)
            await session.flush()
            grid_ids.append(grid.id)
            households.extend(_grid_households(rng, grid.id, grid.code))
    await session.execute(insert(Household), households)

    first_member_id = 0
    used_phones: set[str] = set()
    for grid_id in grid_ids:
        grid_members = []
        for _ in range(MEMBERS_PER_GRID):
            phone = _phone(rng, used_phones)
            member = Member(name=_person(rng), phone=phone, role=Role.MEMBER, active=True)
            session.add(member)
            await session.flush()
            session.add(Assignment(member_id=member.id, area_id=grid_id))
            first_member_id = first_member_id or member.id
            grid_members.append(member.id)
        await _link_households(session, grid_id, grid_members)
    # One coordinator per community (社区书记) and one for the street (街道).
    for area_id, role in [*((c, Role.COMMUNITY) for c in community_ids), (street.id, Role.STREET)]:
        coordinator = Member(name=_person(rng), phone=_phone(rng, used_phones), role=role, active=True)
        session.add(coordinator)
        await session.flush()
        session.add(Assignment(member_id=coordinator.id, area_id=area_id))
    await session.flush()
    return DemoSummary(
        grids=len(grid_ids),
        households=len(households),
        members=len(grid_ids) * MEMBERS_PER_GRID + len(community_ids) + 1,
        first_member_id=first_member_id,
    )


async def _link_households(session: AsyncSession, grid_id: int, member_ids: list[int]) -> None:
    """包联: the grid's households are shared out among its members, in address order."""
    ids = (
        await session.scalars(
            select(Household.id).where(Household.grid_id == grid_id).order_by(Household.address)
        )
    ).all()
    for n, household_id in enumerate(ids):
        member = member_ids[n * len(member_ids) // len(ids)]
        await session.execute(
            update(Household).where(Household.id == household_id).values(covered_by=[member])
        )


def _residents(rng: random.Random, head: str, tags: list[str]) -> list[dict[str, object]]:
    residents: list[dict[str, object]] = [
        {"name": head, "relation": "户主", "birth_year": rng.randint(1935, 1990)}
    ]
    if "elderly_alone" in tags:
        residents[0]["birth_year"] = rng.randint(1930, 1955)
        return residents
    for relation in rng.sample(["配偶", "子女", "子女", "父母", "孙辈"], rng.randint(0, 3)):
        residents.append({"name": _person(rng), "relation": relation, "birth_year": rng.randint(1940, 2020)})
    return residents


def _grid_households(rng: random.Random, grid_id: int, grid_code: str) -> list[dict[str, object]]:
    estate = rng.choice(ESTATES)
    first_building = rng.randint(1, 20)
    rows = []
    for n in range(HOUSEHOLDS_PER_GRID):
        building = f"{first_building + n // 24}号楼"
        unit = f"{n % 24 // 8 + 1}单元"
        room = f"{n % 8 // 2 + 1}0{n % 2 + 1}"
        address = f"{estate}{building}{unit}{room}"
        age_band = rng.randint(0, 3)
        tags = _tags(rng, age_band)
        head = _person(rng)
        rows.append(
            {
                "id": "hh-" + uuid.uuid5(NAMESPACE, f"{grid_code}/{address}").hex[:12],
                "grid_id": grid_id,
                "building": building,
                "unit": unit,
                "room": room,
                "address": address,
                "head_name": head,
                "phone": f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                "tags": tags,
                "care_level": _care_level(tags),
                "residents": _residents(rng, head, tags),
                # 三要有: most key households already have their contact card and information sheet.
                "contact_card": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}" if tags else None,
                "info_sheet": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}" if tags else None,
                # 窗帘行动: most elderly people living alone agreed to the daily curtain round.
                "curtain_round": "elderly_alone" in tags and rng.random() < 0.8,
                "covered_by": [],
            }
        )
    return rows


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = f"13{rng.randint(0, 999_999_999):09d}"
        if phone not in used:
            used.add(phone)
            return phone
