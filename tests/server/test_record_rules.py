"""Record-type rules as push applies them (issue 6 §1, issue 9 hole 3): order independence, roles for
fields and workflow steps, derived ids, and scope decided before anything is said about a record."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.db import Store
from server.domain.ids import derived_record_id
from server.models import Device, Role
from sync import encode_clock, uuid7
from tests.server.factories import Phone, World, enroll_phone


async def push(client: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> list[dict[str, Any]]:
    response = await client.post("/api/sync/push", json={"ops": ops}, headers=phone.headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def state_of(client: httpx.AsyncClient, phone: Phone, record: str) -> dict[str, Any]:
    response = await client.get(f"/api/records/{record}", headers=phone.headers)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()["record"]
    return state


def values(state: dict[str, Any]) -> dict[str, Any]:
    return {name: register["value"] for name, register in state["fields"].items()}


def append(phone: Phone, *, household: str, record: str, type: str, field: str, value: Any) -> dict[str, Any]:
    op = phone.op(household=household, record=record, type=type, kind="append", field=field, value=value)
    del op["fields"]
    return op


def edit_then_create(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    household, record = world.households_a[0], uuid7()
    create = world.alice.op(household=household, record=record)
    edit = world.alice.op(household=household, record=record, fields={"notes": "更新后的情况"})
    return create, edit


async def test_an_edit_sent_before_its_create_in_one_batch_is_applied_after_it(
    client: httpx.AsyncClient, world: World
) -> None:
    create, edit = edit_then_create(world)

    results = await push(client, world.alice, [edit, create])

    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert values(await state_of(client, world.alice, create["record"]))["notes"] == "更新后的情况"


async def test_an_edit_arriving_before_its_create_is_retried_and_ends_in_the_same_state(
    client: httpx.AsyncClient, world: World
) -> None:
    create, edit = edit_then_create(world)

    first = await push(client, world.alice, [edit])
    assert first[0]["status"] == "rejected" and first[0]["code"] == "not_created_yet"
    assert (await push(client, world.alice, [create]))[0]["status"] == "accepted"
    assert (await push(client, world.alice, [edit]))[0]["status"] == "accepted"  # the client's retry
    late = await state_of(client, world.alice, create["record"])

    other_create, other_edit = edit_then_create(world)
    await push(client, world.alice, [other_create])
    await push(client, world.alice, [other_edit])
    in_order = await state_of(client, world.alice, other_create["record"])
    assert values(late) == values(in_order) == {**values(late), "notes": "更新后的情况"}


async def test_a_workflow_step_a_role_may_not_record_is_refused(
    client: httpx.AsyncClient, store: Store, settings: Any, world: World
) -> None:
    leader = await enroll_phone(
        store, settings, name="网格长", area_ids=[world.grid_a], role=Role.GRID_LEADER
    )
    household, record = world.households_a[0], uuid7()
    create = world.alice.op(household=household, record=record, type="request",
                            fields={"category": "repair", "description": "楼道灯坏了"})  # fmt: skip

    def step(phone: Phone, value: dict[str, Any]) -> dict[str, Any]:
        return append(phone, household=household, record=record, type="request", field="steps", value=value)

    assign = {"step": "assign", "to": "物业公司"}
    results = await push(client, world.alice, [create, step(world.alice, assign)])

    assert results[0]["status"] == "accepted"
    assert results[1]["code"] == "step_not_allowed", results[1]
    assert "转办" in results[1]["message_zh"]
    assert (await push(client, leader, [step(leader, assign)]))[0]["status"] == "accepted"
    unfinished = await push(client, leader, [step(leader, {"step": "assign"})])
    assert unfinished[0]["code"] == "invalid_value"
    state = await state_of(client, world.alice, record)
    assert [entry["value"] for entry in state["logs"]["steps"]] == [assign]


async def test_a_field_only_leaders_may_write_is_refused_to_a_member(
    client: httpx.AsyncClient, world: World
) -> None:
    household = world.households_a[0]
    record = derived_record_id("household", [household])
    op = world.alice.op(household=household, record=record, type="household", fields={"care_level": "orange"})
    allowed = world.alice.op(
        household=household, record=record, type="household", fields={"phone": "13800000000"}
    )

    results = await push(client, world.alice, [op, allowed])

    assert results[0]["code"] == "field_not_allowed"
    assert results[1]["status"] == "accepted"
    coordinator_op = world.dora.op(household=household, record=record, type="household",
                                   fields={"care_level": "orange"})  # fmt: skip
    assert (await push(client, world.dora, [coordinator_op]))[0]["status"] == "accepted"


async def test_two_members_checking_one_door_on_one_morning_make_one_curtain_check(
    client: httpx.AsyncClient, world: World
) -> None:
    household, day = world.households_a[0], "2026-11-30"
    record = derived_record_id("curtain_check", [household, day])

    def check(phone: Phone, step: str) -> list[dict[str, Any]]:
        create = phone.op(household=household, record=record, type="curtain_check", fields={"date": day})
        step_entry = {"step": step, "time": "09:40", "result": "no_answer"}
        escalate = append(phone, household=household, record=record, type="curtain_check",
                          field="escalation", value=step_entry)  # fmt: skip
        return [create, escalate]

    results = [*await push(client, world.alice, check(world.alice, "phone")),
               *await push(client, world.bob, check(world.bob, "knock"))]  # fmt: skip

    assert [r["status"] for r in results] == ["accepted"] * 4
    state = await state_of(client, world.alice, record)
    assert sorted(entry["value"]["step"] for entry in state["logs"]["escalation"]) == ["knock", "phone"]
    wrong_id = world.alice.op(household=household, type="curtain_check", fields={"date": day})
    other_day = world.alice.op(household=household, record=record, type="curtain_check",
                               fields={"date": "2026-12-01"})  # fmt: skip
    refused = await push(client, world.alice, [wrong_id, other_day])
    assert [r["code"] for r in refused] == ["invalid_value", "invalid_value"]


async def test_a_record_outside_scope_is_never_described_in_a_rejection(
    client: httpx.AsyncClient, world: World
) -> None:
    # Carol (grid B) keeps a visit and a mediation note; Alice (grid A) learns their ids somehow.
    visit = world.carol.op(household=world.households_b[0])
    mediation = world.carol.op(household=world.households_b[1], type="mediation",
                               fields={"category": "family", "mediators": [world.carol.member_id],
                                       "summary": "婆媳矛盾"})  # fmt: skip
    assert [r["status"] for r in await push(client, world.carol, [visit, mediation])] == ["accepted"] * 2

    probes = [world.alice.op(household=world.households_a[0], record=visit["record"]),
              world.alice.op(household=world.households_a[0], record=mediation["record"], type="mediation",
                             fields={"summary": "?"}),
              world.alice.op(household=world.households_a[0], id=visit["id"])]  # fmt: skip
    results = await push(client, world.alice, probes)

    assert [r["code"] for r in results[:2]] == ["out_of_scope", "out_of_scope"]
    assert results[0]["message"].replace(visit["record"], "X") == results[1]["message"].replace(
        mediation["record"], "X"
    )
    for result in results:
        text = json.dumps(result, ensure_ascii=False)
        for secret in (world.households_b[0], world.households_b[1], "mediation", "婆媳"):
            assert secret not in text, (secret, result)
    assert results[2]["code"] == "op_conflict" and visit["household"] not in results[2]["message"]


async def test_a_revoked_device_s_replica_is_refused_for_ops_recorded_after_the_revocation(
    client: httpx.AsyncClient, store: Store, settings: Any, world: World
) -> None:
    old = await enroll_phone(store, settings, name="旧手机", area_ids=[world.grid_a])
    async with store.write() as session:
        device = await session.get(Device, old.device_id)
        assert device is not None
        device.revoked_at = datetime.now(UTC) - timedelta(minutes=5)
        device.member_id = world.alice.member_id  # the same member's earlier phone
    before = int(time.time() * 1000) - 10 * 60_000
    recorded_before = world.alice.op(household=world.households_a[0], replica=old.device_id,
                                     clock=encode_clock(before, 0))  # fmt: skip
    recorded_after = world.alice.op(household=world.households_a[0], replica=old.device_id)

    results = await push(client, world.alice, [recorded_before, recorded_after])

    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert results[1]["code"] == "replica_mismatch"


async def test_member_ids_in_a_visit_must_name_real_members(client: httpx.AsyncClient, world: World) -> None:
    fields = {"date": "2026-11-21", "co_visitors": [world.bob.member_id, 999_999]}
    results = await push(
        client, world.alice, [world.alice.op(household=world.households_a[0], fields=fields)]
    )
    assert results[0]["code"] == "invalid_value" and "999999" in results[0]["message"]
