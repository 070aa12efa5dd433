from __future__ import annotations

import httpx

from tests.server.factories import World


async def test_a_record_outside_the_callers_grids_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    op = world.carol.op(household=world.households_b[0])
    await client.post("/api/sync/push", json={"ops": [op]}, headers=world.carol.headers)

    for path in (f"/api/records/{op['record']}", f"/api/records/{op['record']}/history"):
        hidden = await client.get(path, headers=world.alice.headers)
        missing = await client.get(
            path.replace(op["record"], "019aa5e2-0000-7000-8000-000000000000"), headers=world.alice.headers
        )
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["error"]["code"] == "not_found"


async def test_a_record_in_scope_is_returned_in_the_documented_shape(
    client: httpx.AsyncClient, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0])
    await client.post("/api/sync/push", json={"ops": [op]}, headers=world.alice.headers)

    response = await client.get(f"/api/records/{op['record']}", headers=world.bob.headers)

    assert response.status_code == 200
    record = response.json()["record"]
    assert set(record) == {"id", "type", "household", "fields", "logs", "deleted"}
    assert record["id"] == op["record"]
    assert record["household"] == world.households_a[0]
    assert record["fields"]["items"] == {
        "value": ["policy", "safety"],
        "clock": op["clock"],
        "replica": world.alice.device_id,
        "op": op["id"],
        "author": world.alice.member_id,
        "overwritten": [],
    }


async def test_unknown_api_routes_answer_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
