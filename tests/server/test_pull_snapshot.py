"""The snapshot of pull (docs/sync-protocol.md §5.1): a device with nothing yet gets the current state of
every record it may read, open work first, then the ops after the snapshot's start — and ends with exactly
the server's records, also when pushes race the pages."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.domain.indexing import LOCAL_TZ
from server.services.cursors import CursorBox, HouseholdCursor
from server.settings import Settings
from sync import (
    RecordState,
    apply_op,
    canonical_json,
    merge_states,
    parse_op,
    state_from_storage,
    state_to_json,
    uuid7,
)
from tests.server.conftest import SECRET
from tests.server.factories import Phone, World
from tests.server.test_pull import push


def day(offset: int) -> str:
    """The local date ``offset`` days from today (the open-work window counts from the server's today)."""
    return (datetime.now(LOCAL_TZ).date() + timedelta(days=offset)).isoformat()


def visit(
    phone: Phone, household: str, date: str, record: str | None = None, **fields: Any
) -> dict[str, Any]:
    return phone.op(household=household, record=record, fields={"date": date, "notes": "走访", **fields})


class Replica:
    """A device as the protocol describes it: it merges snapshot states and applies ops, nothing else."""

    def __init__(self) -> None:
        self.states: dict[str, RecordState] = {}
        self.phases: list[str] = []
        self.pages = 0

    def take(self, page: dict[str, Any]) -> None:
        self.pages += 1
        for compact in page.get("records", []):
            state = state_from_storage(canonical_json(compact))
            known = self.states.get(state.id)
            self.states[state.id] = state if known is None else merge_states(known, state)
        if "snapshot" in page:
            self.phases.append(page["snapshot"]["phase"])
        for raw in page["ops"]:
            op = parse_op(raw, allow_author=True)
            self.states[op.record] = apply_op(self.states.get(op.record), op)
        for record_id in page["drop"]:
            self.states.pop(record_id, None)


async def sync(
    client: httpx.AsyncClient, phone: Phone, replica: Replica, *, cursor: str = "", limit: int = 200
) -> str:
    """Pages until ``more`` is false: a snapshot first when there is no cursor yet."""
    while True:
        params: dict[str, Any] = {"after": cursor, "limit": limit}
        if not cursor:
            params["snapshot"] = "true"
        response = await client.get("/api/sync/pull", params=params, headers=phone.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        replica.take(page)
        cursor = page["cursor"]
        if not page["more"]:
            return cursor


async def server_state(client: httpx.AsyncClient, phone: Phone, record_id: str) -> dict[str, Any] | None:
    response = await client.get(f"/api/records/{record_id}", headers=phone.headers)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()["record"]
    return record


async def assert_same_as_server(
    client: httpx.AsyncClient, phone: Phone, replica: Replica, record_ids: set[str]
) -> None:
    expected = {
        rid: state for rid in record_ids if (state := await server_state(client, phone, rid)) is not None
    }
    got = {rid: state_to_json(state) for rid, state in replica.states.items()}
    assert got == expected


async def test_a_snapshot_is_each_record_the_caller_may_read_once_as_it_stands(
    client: httpx.AsyncClient, world: World
) -> None:
    a, b = world.households_a, world.households_b
    first = visit(world.alice, a[0], day(0))
    mine = [first, world.alice.op(household=a[0], record=first["record"], fields={"notes": "改过"})]
    mine += [visit(world.alice, a[n % 3], day(-n * 50)) for n in range(1, 8)]
    await push(client, world.alice, mine)
    await push(client, world.carol, [visit(world.carol, b[0], day(0))])

    replica = Replica()
    await sync(client, world.bob, replica, limit=2)

    assert len(replica.states) == 8  # every record of grid A, none of grid B; the edit is in its record
    await assert_same_as_server(client, world.bob, replica, {op["record"] for op in mine})
    page = (await client.get("/api/sync/pull", params={"snapshot": "1"}, headers=world.bob.headers)).json()
    assert page["snapshot"]["total"] == 8 and page["ops"] == [] and page["drop"] == []
    assert page["scope"] == {"grids": [world.grid_a]}


async def test_open_work_comes_first_then_the_history_newest_first_then_the_ops_after_its_start(
    client: httpx.AsyncClient, world: World
) -> None:
    a = world.households_a[0]
    old = [visit(world.alice, a, day(-400 - n)) for n in range(3)]
    recent = [visit(world.alice, a, day(-n)) for n in range(3)]
    request = world.alice.op(
        household=a, type="request", fields={"category": "repair", "description": "楼道灯坏了"}
    )  # an open request: open work whatever its age
    await push(client, world.alice, [*old, *recent, request])

    seen: list[tuple[str, list[str]]] = []
    nexts: list[str] = []
    cursor = ""
    while True:
        params = {"after": cursor, "limit": 2, **({} if cursor else {"snapshot": "true"})}
        page = (await client.get("/api/sync/pull", params=params, headers=world.bob.headers)).json()
        if "snapshot" in page:
            seen.append((page["snapshot"]["phase"], [r["id"] for r in page["records"]]))
            nexts.append(page["snapshot"]["next"])
        cursor = page["cursor"]
        if "snapshot" not in page:
            break
    later = world.alice.op(household=a, record=old[0]["record"], fields={"notes": "后来的"})
    await push(client, world.alice, [later])
    after = (await client.get("/api/sync/pull", params={"after": cursor}, headers=world.bob.headers)).json()

    open_ids = [rid for phase, ids in seen if phase == "open" for rid in ids]
    history_ids = [rid for phase, ids in seen if phase == "history" for rid in ids]
    assert [phase for phase, _ in seen] == sorted(phase for phase, _ in seen)[::-1]  # open… then history…
    assert open_ids == sorted([op["record"] for op in [*recent, request]])
    assert history_ids == sorted([op["record"] for op in old], reverse=True)  # newest first
    assert [op["id"] for op in after["ops"]] == [later["id"]]
    assert nexts == ["open", "history", "history", "ops"]  # the open work is complete after page 2


async def test_restricted_records_only_for_their_readers_and_coordinators(
    client: httpx.AsyncClient, world: World
) -> None:
    a = world.households_a[0]

    def mediation(phone: Phone, mediators: list[int]) -> dict[str, Any]:
        fields = {"category": "family", "mediators": mediators, "summary": "家庭纠纷"}
        return phone.op(household=a, type="mediation", fields=fields)

    for_alice = mediation(world.alice, [world.alice.member_id])
    for_bob = mediation(world.alice, [world.bob.member_id])
    await push(client, world.alice, [for_alice, for_bob, visit(world.alice, a, day(0))])

    seen = {}
    for phone in (world.alice, world.bob, world.carol, world.dora):
        replica = Replica()
        await sync(client, phone, replica, limit=1)
        seen[phone.member_id] = {state.id for state in replica.states.values() if state.type == "mediation"}

    assert seen[world.alice.member_id] == {for_alice["record"], for_bob["record"]}  # creator of both
    assert seen[world.bob.member_id] == {for_bob["record"]}  # a mediator of one
    assert seen[world.carol.member_id] == set()  # another grid
    assert seen[world.dora.member_id] == {for_alice["record"], for_bob["record"]}  # the community


async def test_a_record_that_moves_into_open_work_behind_the_pages_still_comes_whole(
    client: httpx.AsyncClient, world: World
) -> None:
    """Tier 0 has passed Y's id when an edit makes Y open work: tier 1 takes it, for it was written after
    the snapshot's start. Without that, only the edit would arrive, and Y would lack its other fields."""
    a = world.households_a[0]
    ids = sorted(uuid7() for _ in range(3))  # one millisecond's ids are in no particular order
    y = visit(world.alice, a, day(-400), items=["policy"], record=ids[0])  # history, and the smallest id
    z, w = visit(world.alice, a, day(0), record=ids[1]), visit(world.alice, a, day(0), record=ids[2])
    await push(client, world.alice, [y, z, w])

    replica = Replica()
    first = await client.get(
        "/api/sync/pull", params={"snapshot": "1", "limit": 1}, headers=world.bob.headers
    )
    replica.take(first.json())
    assert [r["id"] for r in first.json()["records"]] == [z["record"]]
    await push(
        client, world.alice, [world.alice.op(household=a, record=y["record"], fields={"date": day(0)})]
    )
    await sync(client, world.bob, replica, cursor=first.json()["cursor"], limit=1)

    await assert_same_as_server(client, world.bob, replica, {y["record"], z["record"], w["record"]})
    assert replica.states[y["record"]].values()["items"] == ["policy"]


async def test_a_snapshot_racing_concurrent_pushes_ends_with_exactly_the_servers_records(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> None:
    """Two server processes (two apps, two stores) commit new records and edits while a fresh device takes
    a snapshot page by page and then follows the cursor: it must end with every record as the server has
    it — nothing skipped between the snapshot's start and its op cursor."""
    a = world.households_a
    base = [visit(world.alice, a[n % 3], day(-n * 20)) for n in range(12)]
    await push(client, world.alice, base)
    records = [op["record"] for op in base]
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as other:
            rng = random.Random(8)
            work = []
            for n in range(24):
                http, phone = [(client, world.alice), (other, world.bob)][n % 2]
                if n % 3 == 0:
                    op = visit(phone, a[n % 3], day(-rng.randrange(300)))
                    records.append(op["record"])
                else:
                    target = base[rng.randrange(len(base))]
                    fields = {"notes": f"第{n}次修改", "date": day(-rng.randrange(300))}
                    op = phone.op(household=target["household"], record=target["record"], fields=fields)
                work.append((http, phone, [op]))

            async def push_later(http: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> None:
                await asyncio.sleep(rng.random() * 0.4)
                await push(http, phone, ops)

            pushes = asyncio.ensure_future(asyncio.gather(*(push_later(*job) for job in work)))
            replica = Replica()
            cursor = await sync(client, world.dora, replica, limit=2)
            while not pushes.done():
                cursor = await sync(client, world.dora, replica, cursor=cursor, limit=3)
                await asyncio.sleep(0)
            await pushes
    await sync(client, world.dora, replica, cursor=cursor)

    await assert_same_as_server(client, world.dora, replica, set(records))
    assert len(replica.states) == len(records)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"snapshot": "yes"}, "invalid_request"),
        ({"snapshot": "1", "limit": "5001"}, "invalid_limit"),
        ({"after": "s1.AAAA"}, "invalid_cursor"),
        ({"after": CursorBox(SECRET).seal_households(HouseholdCursor(version=3))}, "invalid_cursor"),
    ],
    ids=["snapshot-not-a-boolean", "limit-too-big", "tampered-snapshot-cursor", "a-household-cursor"],
)
async def test_bad_snapshot_parameters_get_a_400(
    client: httpx.AsyncClient, world: World, params: dict[str, str], code: str
) -> None:
    response = await client.get("/api/sync/pull", params=params, headers=world.alice.headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_a_snapshot_cursor_from_another_caller_shows_only_the_callers_records(
    client: httpx.AsyncClient, world: World
) -> None:
    """Cursors hold positions, never rights: scope is decided again for every page."""
    ids = sorted(uuid7() for _ in range(6))
    await push(
        client, world.alice, [visit(world.alice, world.households_a[n], day(0), ids[n]) for n in range(3)]
    )
    carols = [visit(world.carol, world.households_b[n], day(0), ids[3 + n]) for n in range(3)]
    await push(client, world.carol, carols)
    params = {"snapshot": "1", "limit": "1"}
    start = (await client.get("/api/sync/pull", params=params, headers=world.dora.headers)).json()
    assert start["snapshot"]["total"] == 6

    replica = Replica()
    await sync(client, world.carol, replica, cursor=start["cursor"], limit=1)
    assert set(replica.states) == {op["record"] for op in carols}
