from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db import Store
from server.models import OpRow, RecordRow
from sync import encode_clock, state_from_storage, state_to_json, uuid7
from tests.server.factories import Phone, World


async def push(client: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> httpx.Response:
    return await client.post("/api/sync/push", json={"ops": ops}, headers=phone.headers)


async def stored_op_count(store: Store) -> int:
    async with store.read() as session:
        return int(await session.scalar(select(func.count()).select_from(OpRow)) or 0)


async def test_an_accepted_op_is_stored_with_the_server_chosen_author(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0])

    response = await push(client, world.alice, [op])

    assert response.status_code == 200, response.text
    assert response.json()["results"] == [{"id": op["id"], "status": "accepted"}]
    async with store.read() as session:
        row = await session.scalar(select(OpRow).where(OpRow.op_id == op["id"]))
        record = await session.get(RecordRow, op["record"])
    assert row is not None and record is not None
    assert row.author_id == world.alice.member_id
    assert row.device_id == world.alice.device_id
    assert row.grid_id == world.grid_a
    state = state_to_json(state_from_storage(record.state))
    assert state["fields"]["notes"]["value"] == "老人身体尚好"
    assert state["fields"]["notes"]["author"] == world.alice.member_id


async def test_pushing_the_same_op_twice_stores_it_once(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0])
    await push(client, world.alice, [op])

    again = await push(client, world.alice, [op, op])

    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert await stored_op_count(store) == 1


async def test_the_same_op_id_with_other_content_is_rejected_and_the_original_kept(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0])
    await push(client, world.alice, [op])
    forged = {**op, "fields": {"notes": "改过的内容"}}

    response = await push(client, world.alice, [forged])

    assert response.json()["results"][0]["code"] == "op_conflict"
    record = (await client.get(f"/api/records/{op['record']}", headers=world.alice.headers)).json()["record"]
    assert record["fields"]["notes"]["value"] == "老人身体尚好"


def _bad_ops(world: World, existing_record: str) -> dict[str, tuple[Any, str]]:
    """Each bad op next to the rejection code it must get."""
    alice, household = world.alice, world.households_a[0]
    return {
        "missing key": (
            {k: v for k, v in alice.op(household=household).items() if k != "clock"},
            "invalid_op",
        ),
        "unknown key": ({**alice.op(household=household), "colour": "red"}, "invalid_op"),
        "author sent by client": ({**alice.op(household=household), "author": 1}, "author_not_allowed"),
        "unknown type": (alice.op(household=household, type="party"), "unknown_type"),
        "unknown field": (
            alice.op(household=household, fields={"date": "2026-11-21", "mood": 3}),
            "invalid_field",
        ),
        "bad date": (alice.op(household=household, fields={"date": "2026-13-45"}), "invalid_value"),
        "unknown item": (
            alice.op(household=household, fields={"date": "2026-11-21", "items": ["x"]}),
            "invalid_value",
        ),
        "first op lacks date": (alice.op(household=household, fields={"notes": "无日期"}), "not_created_yet"),
        "other grid": (alice.op(household=world.households_b[0]), "out_of_scope"),
        "no such household": (alice.op(household="hh-nowhere"), "out_of_scope"),
        "other device": (alice.op(household=household, replica=world.bob.device_id), "replica_mismatch"),
        "clock far ahead": (alice.op(household=household, clock=encode_clock(9 * 10**14, 0)), "clock_ahead"),
        "too large": (
            alice.op(household=household, fields={"date": "2026-11-21", "notes": "长" * 70_000}),
            "op_too_large",
        ),
        "not an object": (["op"], "invalid_op"),
        "record of another household": (
            alice.op(household=world.households_a[1], record=existing_record),
            "record_mismatch",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing key",
        "unknown key",
        "author sent by client",
        "unknown type",
        "unknown field",
        "bad date",
        "unknown item",
        "first op lacks date",
        "other grid",
        "no such household",
        "other device",
        "clock far ahead",
        "too large",
        "not an object",
        "record of another household",
    ],
)
async def test_a_bad_op_is_rejected_with_a_stable_code_without_blocking_the_batch(
    client: httpx.AsyncClient, store: Store, world: World, case: str
) -> None:
    existing_record = uuid7()
    # Made (stamped) before the bad op: a batch is applied in stamp order, so `first` creates the record.
    first = world.alice.op(household=world.households_a[0], record=existing_record)
    bad, code = _bad_ops(world, existing_record)[case]
    last = world.alice.op(household=world.households_a[0])

    response = await push(client, world.alice, [first, bad, last])

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["code"] == code
    assert results[1]["message"] and results[1]["message_zh"]
    assert await stored_op_count(store) == 2


async def test_a_repeated_id_with_other_content_in_one_batch_is_rejected(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(household=world.households_a[0])
    twin = {**op, "fields": {"date": "2026-11-20"}}

    response = await push(client, world.alice, [op, twin])

    assert [r.get("code") for r in response.json()["results"]] == [None, "duplicate_in_batch"]
    assert await stored_op_count(store) == 1


async def test_an_edit_of_a_record_in_another_grid_is_out_of_scope(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    carols = world.carol.op(household=world.households_b[0])
    await push(client, world.carol, [carols])
    edit = world.alice.op(
        household=world.households_b[0], record=carols["record"], fields={"notes": "越权修改"}
    )

    response = await push(client, world.alice, [edit])

    assert response.json()["results"][0]["code"] == "out_of_scope"
    assert await stored_op_count(store) == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"{", {"Content-Type": "application/json"}, 400, "malformed_json"),
        (b'{"ops": {}}', {"Content-Type": "application/json"}, 400, "invalid_request"),
        (b"[]", {"Content-Type": "application/json"}, 400, "invalid_request"),
        (b'{"ops": []}', {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    ],
    ids=["malformed", "ops-not-a-list", "not-an-object", "not-json"],
)
async def test_malformed_push_requests_get_a_4xx_and_store_nothing(
    client: httpx.AsyncClient,
    store: Store,
    world: World,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await client.post("/api/sync/push", content=body, headers={**world.alice.headers, **headers})

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert await stored_op_count(store) == 0


async def test_too_many_ops_in_one_push_are_refused_whole(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    ops = [world.alice.op(household=world.households_a[0]) for _ in range(501)]

    response = await push(client, world.alice, ops)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_ops"
    assert await stored_op_count(store) == 0


async def test_an_oversized_body_is_refused_whole(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(
        household=world.households_a[0], fields={"date": "2026-11-21", "notes": "x" * 1_100_000}
    )

    response = await push(client, world.alice, [op])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert await stored_op_count(store) == 0


async def test_concurrent_edits_keep_the_loser_in_the_history(
    client: httpx.AsyncClient, world: World
) -> None:
    now = time.time_ns() // 1_000_000
    household = world.households_a[0]
    created = world.alice.op(household=household, clock=encode_clock(now - 3000, 0))
    await push(client, world.alice, [created])
    record = created["record"]
    alice_edit = world.alice.op(
        household=household, record=record, fields={"notes": "甲"}, clock=encode_clock(now - 2000, 0)
    )
    bob_edit = world.bob.op(
        household=household, record=record, fields={"notes": "乙"}, clock=encode_clock(now - 1000, 0)
    )

    # Bob's later write arrives first; Alice's earlier one arrives after it and must lose, not vanish.
    await push(client, world.bob, [bob_edit])
    await push(client, world.alice, [alice_edit])

    history = (await client.get(f"/api/records/{record}/history", headers=world.bob.headers)).json()
    notes = history["record"]["fields"]["notes"]
    assert notes["value"] == "乙"
    assert notes["author"] == world.bob.member_id
    assert [w["value"] for w in notes["overwritten"]] == ["老人身体尚好", "甲"]
    assert notes["overwritten"][1]["author"] == world.alice.member_id
    assert {op["author_name"] for op in history["ops"]} == {"李华", "张伟"}
    assert history["ops"][0]["id"] == created["id"]


def _raw_push_body(good: dict[str, Any], bad_op_json: str) -> bytes:
    """A push body with one good op and one op written as raw JSON text (for what json.dumps won't emit)."""
    return ('{"ops":[' + json.dumps(good) + "," + bad_op_json + "]}").encode()


MALFORMED_OPS = {
    "lone surrogate": '{"x":"\\ud800"}',
    "lone surrogate in a field": None,  # filled in per test: a whole op with "\\udfff" in its notes
    "U+0000 in a field": None,  # filled in per test: a whole op with "\\u0000" in its notes (PostgreSQL text)
    "NaN": '{"x":NaN}',
    "Infinity": '{"x":-Infinity}',
    "5,000-digit integer": '{"x":' + "9" * 5000 + "}",
    "deep nesting": '{"x":' + "[" * 900 + "]" * 900 + "}",
}


@pytest.mark.parametrize("case", sorted(MALFORMED_OPS), ids=sorted(MALFORMED_OPS))
async def test_a_malformed_op_is_rejected_on_its_own_and_its_neighbour_is_stored(
    client: httpx.AsyncClient, store: Store, world: World, case: str
) -> None:
    good = world.alice.op(household=world.households_a[0])
    bad = MALFORMED_OPS[case]
    if bad is None:
        op = world.alice.op(household=world.households_a[0])
        escape = "\\u0000" if case.startswith("U+0000") else "\\udfff"
        bad = json.dumps(op, ensure_ascii=False).replace("老人身体尚好", "老人" + escape)
        assert escape in bad

    response = await client.post(
        "/api/sync/push",
        content=_raw_push_body(good, bad),
        headers={**world.alice.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first == {"id": good["id"], "status": "accepted"}
    assert second["status"] == "rejected" and second["code"] == "invalid_op", second
    assert await stored_op_count(store) == 1


@pytest.mark.parametrize(
    "body",
    [b'{"ops": [{"id": ', b'{"ops":[' + b"[" * 200_000 + b"]" * 200_000 + b"]}", b"\xff\xfe"],
    ids=["unterminated", "nested past the parser's limit", "not UTF-8"],
)
async def test_a_body_that_cannot_be_read_is_a_400_and_stores_nothing(
    client: httpx.AsyncClient, store: Store, world: World, body: bytes
) -> None:
    response = await client.post(
        "/api/sync/push", content=body, headers={**world.alice.headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "malformed_json"
    assert await stored_op_count(store) == 0
