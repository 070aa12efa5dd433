"""What the console tests share: a town of two communities with a member of every role, and a browser-like
way to call the console (the session cookie, the form's CSRF token, our own Origin).

The fixtures ``town`` and ``dora`` live here too; a test module that wants them names them once,
``town, dora = console_support.town, console_support.dora`` (an import alone would look unused)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from server.auth.sessions import COOKIE_NAME
from server.db import Store
from server.models import Area, AreaLevel, Assignment, AuditEvent, Household, Role
from server.services.members import add_member
from server.settings import Settings
from tests.server.conftest import ORIGIN
from tests.server.factories import Phone, enroll_phone


@dataclass
class Town:
    """天桥东街街道 → 七里河社区 (grids A, B) and 北园社区 (grid D)."""

    street: int
    community_1: int
    community_2: int
    grid_a: int
    grid_b: int
    grid_d: int
    households: dict[int, list[str]]


async def make_town(store: Store) -> Town:
    async with store.write() as session:
        street = Area(level=AreaLevel.STREET, name="天桥东街街道", code="S")
        session.add(street)
        await session.flush()
        c1 = Area(level=AreaLevel.COMMUNITY, name="七里河社区", code="S-1", parent_id=street.id)
        c2 = Area(level=AreaLevel.COMMUNITY, name="北园社区", code="S-2", parent_id=street.id)
        session.add_all([c1, c2])
        await session.flush()
        grids = [
            Area(level=AreaLevel.GRID, name="第1网格", code="S-1-1", parent_id=c1.id),
            Area(level=AreaLevel.GRID, name="第2网格", code="S-1-2", parent_id=c1.id),
            Area(level=AreaLevel.GRID, name="第1网格", code="S-2-1", parent_id=c2.id),
        ]
        session.add_all(grids)
        await session.flush()
        households: dict[int, list[str]] = {}
        for grid in grids:
            households[grid.id] = []
            for n in (1, 2):
                household_id = f"hh-{grid.code}-{n}"
                households[grid.id].append(household_id)
                session.add(
                    Household(id=household_id, grid_id=grid.id, building="1号楼", unit="1单元", room=f"{n}01",
                              address=f"{grid.code} 幸福里1号楼1单元{n}01", head_name="王秀英", phone=None,
                              tags=[], care_level="green")
                )  # fmt: skip
        return Town(street.id, c1.id, c2.id, grids[0].id, grids[1].id, grids[2].id, households)


async def set_curtain_deadline(store: Store, community: int, deadline: str) -> None:
    """A community's morning deadline for the curtain round (``areas.curtain_deadline``)."""
    async with store.write() as session:
        await session.execute(update(Area).where(Area.id == community).values(curtain_deadline=deadline))


def home_area(town: Town, role: Role) -> list[int]:
    """Where a member of ``role`` works in the tests: grid A, community 1 or the street; admins nowhere."""
    return {
        Role.MEMBER: [town.grid_a], Role.LIAISON: [town.grid_a], Role.GRID_LEADER: [town.grid_a],
        Role.COMMUNITY: [town.community_1], Role.STREET: [town.street], Role.ADMIN: [],
    }[role]  # fmt: skip


async def person(
    store: Store, settings: Settings, town: Town, name: str, role: Role, areas: list[int] | None = None
) -> Phone:
    """An enrolled member of ``role`` (at :func:`home_area` unless ``areas`` says otherwise)."""
    area_ids = home_area(town, role) if areas is None else areas
    return await enroll_phone(store, settings, name=name, area_ids=area_ids, role=role)


@pytest.fixture
async def town(store: Store) -> Town:
    """A fresh :func:`make_town` for the test."""
    return await make_town(store)


@pytest.fixture
async def dora(store: Store, settings: Settings, town: Town) -> Phone:
    """The coordinator of 七里河社区 (grids A and B)."""
    return await person(store, settings, town, "刘芳", Role.COMMUNITY)


def browser(phone: Phone) -> dict[str, str]:
    """The headers a browser logged in as ``phone`` sends: its session cookie."""
    return {"Cookie": f"{COOKIE_NAME}={phone.token}"}


async def console_get(client: httpx.AsyncClient, phone: Phone, path: str, **params: Any) -> httpx.Response:
    return await client.get(path, params=params, headers=browser(phone))


async def csrf_of(client: httpx.AsyncClient, phone: Phone) -> str:
    me = await client.get("/api/me", headers=phone.headers)
    assert me.status_code == 200, me.text
    return str(me.json()["csrf_token"])


async def console_post(
    client: httpx.AsyncClient, phone: Phone, path: str, data: dict[str, Any] | None = None, *,
    csrf: str | None = None, origin: str | None = ORIGIN,
) -> httpx.Response:  # fmt: skip
    """A form POST as the console's own page sends it (``csrf=""`` leaves the token out)."""
    token = await csrf_of(client, phone) if csrf is None else csrf
    form = {**(data or {}), **({"csrf_token": token} if token else {})}
    headers = {**browser(phone), **({"Origin": origin} if origin else {})}
    return await client.post(path, data=form, headers=headers)


def marked_ids(html: str, name: str, attribute: str = "data-id") -> list[str]:
    """The ``attribute`` values of the elements marked ``data-testid=name`` (in document order)."""
    found = []
    for tag in re.findall(rf'<[^>]*data-testid="{re.escape(name)}"[^>]*>', html):
        match = re.search(rf'{attribute}="([^"]*)"', tag)
        if match:
            found.append(match.group(1))
    return found


def has_marked(html: str, name: str) -> bool:
    return f'data-testid="{name}"' in html


async def member(store: Store, name: str, role: Role, areas: list[int], phone: str | None = None) -> int:
    """A member without a device (the console needs none to manage them)."""
    async with store.write() as session:
        return (await add_member(session, name=name, area_ids=areas, role=role, phone=phone)).id


async def events(store: Store, kind: str) -> list[AuditEvent]:
    async with store.read() as session:
        return list((await session.scalars(select(AuditEvent).where(AuditEvent.kind == kind))).all())


async def current_areas(store: Store, member_id: int) -> list[int]:
    async with store.read() as session:
        rows = await session.scalars(
            select(Assignment.area_id).where(Assignment.member_id == member_id, Assignment.ended_at.is_(None))
        )
        return sorted(rows.all())


def done(response: httpx.Response, member_id: int, what: str) -> None:
    assert response.status_code == 303, response.text[-2000:]
    assert response.headers["location"] == f"/console/members/{member_id}?done={what}"


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[-2000:]
    assert f'data-code="{code}"' in response.text
