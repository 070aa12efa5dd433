"""The curtain round's data in the console (issue 6 §2): a household's flag, linked members and care level set
as an op of the coordinator through push (leaders-only fields), and a community's deadline (audited), both
reaching the phones (GET /api/households, GET /api/me rules)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from server.db import Store
from server.domain.ids import derived_record_id
from server.models import Area, Household, OpRow, Role
from server.settings import Settings
from tests.server import console_support
from tests.server.console_support import (
    Town,
    console_get,
    console_post,
    events,
    marked_ids,
    person,
)
from tests.server.factories import Phone

town, dora = console_support.town, console_support.dora  # the shared fixtures


@pytest.fixture
async def alice(store: Store, settings: Settings, town: Town) -> Phone:
    return await person(store, settings, town, "李华", Role.MEMBER)


@pytest.fixture
async def leader(store: Store, settings: Settings, town: Town) -> Phone:
    return await person(store, settings, town, "网格长王强", Role.GRID_LEADER)


async def household_ops(store: Store, household: str) -> list[OpRow]:
    record = derived_record_id("household", [household])
    async with store.read() as session:
        return list((await session.scalars(select(OpRow).where(OpRow.record_id == record))).all())


async def test_a_grid_leader_puts_a_household_on_the_round_links_a_member_and_sets_its_care_level(
    client: httpx.AsyncClient, store: Store, town: Town, alice: Phone, leader: Phone
) -> None:
    household = town.households[town.grid_a][0]
    form = {"curtain_round": "1", "covered_by": [str(alice.member_id)], "care_level": "orange"}

    saved = await console_post(client, leader, f"/console/households/{household}", form)
    again = await console_post(client, leader, f"/console/households/{household}", form)

    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    assert again.headers["location"].endswith("?done=unchanged")
    (op,) = await household_ops(store, household)  # the second save changed nothing: no op
    assert (op.author_id, op.replica, op.record_type) == (leader.member_id, leader.device_id, "household")
    async with store.read() as session:
        row = await session.get(Household, household)
    assert row is not None and (row.curtain_round, row.covered_by, row.care_level) == (
        True,
        [alice.member_id],
        "orange",
    )
    phone = await client.get("/api/households", headers=alice.headers)
    mine = next(h for h in phone.json()["households"] if h["id"] == household)
    assert (mine["curtain_round"], mine["covered_by"]) == (True, [alice.member_id])
    page = await console_get(client, leader, f"/console/households/{household}")
    assert marked_ids(page.text, "household-member") and 'data-done="saved"' not in page.text
    viewed = await events(store, "household_viewed")  # the page shows people's details: audited (PIPL)
    assert [(e.member_id, e.device_id, e.detail) for e in viewed] == [
        (leader.member_id, leader.device_id, {"household": household})
    ]


async def test_the_household_list_filters_to_the_round(
    client: httpx.AsyncClient, town: Town, leader: Phone
) -> None:
    household = town.households[town.grid_a][1]
    await console_post(
        client, leader, f"/console/households/{household}", {"curtain_round": "1", "care_level": "green"}
    )

    everyone = await console_get(client, leader, "/console/households")
    on_round = await console_get(client, leader, "/console/households", round="1")

    assert set(marked_ids(everyone.text, "household-row")) == set(town.households[town.grid_a])
    assert marked_ids(on_round.text, "household-row") == [household]


@pytest.mark.parametrize(
    ("who", "where", "form", "status", "code"),
    [
        ("leader", "grid_b", {"care_level": "green"}, 404, "not_found"),
        ("alice", "grid_a", {"care_level": "green"}, 403, None),
        ("leader", "grid_a", {"care_level": "purple"}, 400, "invalid_care_level"),
        ("leader", "grid_a", {"care_level": "green", "covered_by": "99999"}, 400, "invalid_value"),
    ],
    ids=["out-of-scope", "member-role", "unknown-care-level", "unknown-member"],
)
async def test_a_household_change_that_is_not_allowed_stores_nothing(
    client: httpx.AsyncClient,
    store: Store,
    town: Town,
    alice: Phone,
    leader: Phone,
    who: str,
    where: str,
    form: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    household = town.households[getattr(town, where)][0]

    response = await console_post(
        client, {"leader": leader, "alice": alice}[who], f"/console/households/{household}", form
    )

    assert response.status_code == status, response.text[-1500:]
    if code:
        assert f'data-code="{code}"' in response.text
    assert await household_ops(store, household) == []


async def test_a_community_sets_its_curtain_deadline_which_phones_read_and_the_audit_log_keeps(
    client: httpx.AsyncClient, store: Store, town: Town, alice: Phone, dora: Phone
) -> None:
    set_it = await console_post(
        client, dora, f"/console/areas/{town.community_1}/curtain-deadline", {"deadline": "08:45"}
    )
    rules = (await client.get("/api/me", headers=alice.headers)).json()["rules"]
    cleared = await console_post(
        client, dora, f"/console/areas/{town.community_1}/curtain-deadline", {"deadline": ""}
    )
    after = (await client.get("/api/me", headers=alice.headers)).json()["rules"]

    assert set_it.status_code == cleared.status_code == 303
    assert rules["curtain_deadlines"][str(town.grid_a)] == "08:45"
    assert after["curtain_deadlines"][str(town.grid_a)] == "09:30"  # LIANHU_CURTAIN_DEADLINE's default
    audited = await events(store, "curtain_deadline_set")
    assert [(e.member_id, e.detail["area"], e.detail["deadline"]) for e in audited] == [
        (dora.member_id, town.community_1, "08:45"),
        (dora.member_id, town.community_1, None),
    ]
    page = await console_get(client, dora, "/console/households")
    assert marked_ids(page.text, "deadline-row", "data-area") == [str(town.community_1)]


@pytest.mark.parametrize(
    ("who", "area", "deadline", "status", "code"),
    [
        ("leader", "community_1", "08:00", 403, "not_allowed"),
        ("dora", "community_2", "08:00", 404, "not_found"),
        ("dora", "community_1", "25:00", 400, "invalid_time"),
        ("dora", "grid_a", "08:00", 400, "not_a_community"),
    ],
    ids=["grid-leader", "other-community", "not-a-time", "a-grid"],
)
async def test_a_deadline_change_that_is_not_allowed_changes_nothing(
    client: httpx.AsyncClient,
    store: Store,
    town: Town,
    leader: Phone,
    dora: Phone,
    who: str,
    area: str,
    deadline: str,
    status: int,
    code: str,
) -> None:
    area_id = getattr(town, area)

    response = await console_post(
        client,
        {"leader": leader, "dora": dora}[who],
        f"/console/areas/{area_id}/curtain-deadline",
        {"deadline": deadline},
    )

    assert response.status_code == status and f'data-code="{code}"' in response.text, response.text[-1500:]
    async with store.read() as session:
        assert (await session.get(Area, area_id)) is not None
        assert await session.scalar(select(Area.curtain_deadline).where(Area.id == area_id)) is None
    assert await events(store, "curtain_deadline_set") == []
