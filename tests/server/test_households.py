from __future__ import annotations

import httpx

from server.db import Store
from server.domain.ids import derived_record_id
from server.models import Area
from tests.server.factories import Phone, World


async def test_a_member_sees_only_the_households_of_their_grids(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get("/api/households", headers=world.alice.headers)

    assert response.status_code == 200
    households = response.json()["households"]
    assert [h["id"] for h in households] == world.households_a
    first = households[0]
    assert first["grid"] == {"id": world.grid_a, "name": "第1网格"}
    assert first["address"] == "幸福里小区1号楼1单元101"
    assert first["tags"] == ["elderly_alone"]
    assert first["care_level"] == "yellow"


async def test_facts_corrected_at_the_door_merge_per_field_into_the_household_list(
    client: httpx.AsyncClient, world: World
) -> None:
    household = world.households_a[0]
    record = derived_record_id("household", [household])

    def edit(phone: Phone, fields: dict[str, object]) -> dict[str, object]:
        return phone.op(household=household, record=record, type="household", fields=fields)

    # Two members correct different facts of one household; a coordinator changes its care level.
    ops = [
        (world.alice, edit(world.alice, {"phone": "13912345678", "contact_card": "2026-11-30"})),
        (world.bob, edit(world.bob, {"residents": [{"name": "王秀英", "relation": "户主"}],
                                     "head": "王秀英"})),
        (world.dora, edit(world.dora, {"care_level": "orange", "curtain_round": True,
                                       "covered_by": [world.alice.member_id]})),
    ]  # fmt: skip
    for phone, op in ops:
        response = await client.post("/api/sync/push", json={"ops": [op]}, headers=phone.headers)
        assert response.json()["results"][0]["status"] == "accepted", response.text

    households = (await client.get("/api/households", headers=world.bob.headers)).json()["households"]
    shown = next(h for h in households if h["id"] == household)
    assert {key: shown[key] for key in ("phone", "contact_card", "head", "care_level", "curtain_round")} == {
        "phone": "13912345678", "contact_card": "2026-11-30", "head": "王秀英", "care_level": "orange",
        "curtain_round": True,
    }  # fmt: skip
    assert shown["residents"] == [{"name": "王秀英", "relation": "户主"}]
    assert shown["covered_by"] == [world.alice.member_id]
    assert shown["address"] == "幸福里小区1号楼1单元101" and shown["tags"] == ["elderly_alone"]


async def test_me_tells_the_phone_its_curtain_deadlines_and_visit_cadence(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    async with store.write() as session:
        community = await session.get(Area, world.community)
        assert community is not None
        community.curtain_deadline = "09:00"

    rules = (await client.get("/api/me", headers=world.alice.headers)).json()["rules"]

    assert rules["curtain_deadlines"] == {str(world.grid_a): "09:00"}
    assert rules["visit_cadence_days"] == {"orange": 7, "yellow": 14, "blue": 30, "green": 90}
