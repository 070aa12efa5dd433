from __future__ import annotations

import httpx

from tests.server.factories import World


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
