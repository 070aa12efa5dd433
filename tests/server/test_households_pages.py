"""``GET /api/households?after=&limit=`` (docs/sync-protocol.md §8): a whole listing in pages the first time,
then only the households changed since the cursor — never skipping a change, also when pushes race it."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from server.app import create_app
from server.db import Store
from server.domain.ids import derived_record_id
from server.models import Household
from server.services.cursors import CursorBox
from server.settings import Settings
from tests.server.conftest import SECRET
from tests.server.factories import Phone, World
from tests.server.test_pull import push


async def listing(
    client: httpx.AsyncClient, phone: Phone, *, after: str = "", limit: int = 500
) -> tuple[list[dict[str, Any]], str, int]:
    """Pages until ``more`` is false: the households, the cursor, how many pages it took."""
    households: list[dict[str, Any]] = []
    pages = 0
    cursor = after
    while True:
        params = {"after": cursor, "limit": limit}
        response = await client.get("/api/households", params=params, headers=phone.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        households.extend(page["households"])
        cursor = page["cursor"]
        if not page["more"]:
            return households, cursor, pages


def correct(by: Phone, household: str, **fields: Any) -> dict[str, Any]:
    """A correction made at the door: an op on the household's own record (§3.4)."""
    record = derived_record_id("household", [household])
    return by.op(household=household, record=record, type="household", fields=fields)


async def test_the_first_listing_is_every_household_of_my_grids_in_pages(
    client: httpx.AsyncClient, world: World
) -> None:
    whole = (await client.get("/api/households", headers=world.dora.headers)).json()["households"]

    paged, _, pages = await listing(client, world.dora, limit=2)
    mine, _, _ = await listing(client, world.alice, limit=2)

    assert pages == 3
    assert sorted(h["id"] for h in paged) == sorted(world.households_a + world.households_b)
    assert sorted(paged, key=lambda h: h["id"]) == sorted(whole, key=lambda h: h["id"])  # the same rows
    assert sorted(h["id"] for h in mine) == world.households_a


async def test_then_only_the_households_changed_since_the_cursor(
    client: httpx.AsyncClient, world: World
) -> None:
    await push(client, world.carol, [world.carol.op(household=world.households_b[1])])  # a log, not empty
    _, cursor, _ = await listing(client, world.alice)
    nothing, cursor, _ = await listing(client, world.alice, after=cursor)
    a0, a1 = world.households_a[:2]
    await push(client, world.bob, [correct(world.bob, a0, phone="13912345678")])
    await push(client, world.bob, [world.bob.op(household=a1)])  # a visit: a1's last visit moves
    await push(client, world.carol, [correct(world.carol, world.households_b[0], phone="13800000000")])

    changed, cursor, _ = await listing(client, world.alice, after=cursor)
    again, _, _ = await listing(client, world.alice, after=cursor)

    assert nothing == []
    assert [(h["id"], h["phone"], h["last_visit"]) for h in changed] == [
        (a0, "13912345678", None),
        (a1, None, "2026-11-21"),
    ]  # not grid B's
    assert again == []


async def test_a_change_outside_the_op_log_is_listed_once_an_op_after_it_is(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    """An import or demo data changes rows without an op: the row takes the next op number (migration
    0008), which a cursor reaches once an op with that number is visible. A whole listing has it at once."""
    await push(client, world.carol, [world.carol.op(household=world.households_b[1])])
    _, cursor, _ = await listing(client, world.alice)
    async with store.write() as session:
        await session.execute(
            update(Household).where(Household.id == world.households_a[2]).values(head_name="赵敏")
        )

    before_an_op, cursor, _ = await listing(client, world.alice, after=cursor)
    whole, _, _ = await listing(client, world.alice)
    await push(client, world.carol, [world.carol.op(household=world.households_b[0])])
    after_an_op, _, _ = await listing(client, world.alice, after=cursor)

    assert before_an_op == []
    assert next(h for h in whole if h["id"] == world.households_a[2])["head"] == "赵敏"
    assert [(h["id"], h["head"]) for h in after_an_op] == [(world.households_a[2], "赵敏")]


async def test_without_after_or_limit_the_whole_list_comes_as_before(
    client: httpx.AsyncClient, world: World
) -> None:
    answer = (await client.get("/api/households", headers=world.alice.headers)).json()

    assert set(answer) == {"households", "server_time"}
    assert [h["id"] for h in answer["households"]] == world.households_a


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "5001"}, "invalid_limit"),
        ({"after": "h1.AAAA"}, "invalid_cursor"),
        ({"after": CursorBox(SECRET).seal(3)}, "invalid_cursor"),
    ],
    ids=["zero-limit", "limit-too-big", "tampered", "a-pull-cursor"],
)
async def test_bad_household_parameters_get_a_400(
    client: httpx.AsyncClient, world: World, params: dict[str, str], code: str
) -> None:
    response = await client.get("/api/households", params=params, headers=world.alice.headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_a_household_cursor_is_no_pull_cursor(client: httpx.AsyncClient, world: World) -> None:
    _, cursor, _ = await listing(client, world.alice)

    response = await client.get("/api/sync/pull", params={"after": cursor}, headers=world.alice.headers)

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"


async def test_a_listing_racing_concurrent_corrections_ends_with_the_servers_households(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> None:
    """Two server processes commit corrections of households while a phone lists the changes again and
    again: what it has at the end must be exactly what the server lists — no change skipped."""
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as other:
            rng = random.Random(9)
            households = world.households_a
            work = [
                (http, phone, [correct(phone, households[n % 3], phone=f"1390000{n:04d}")])
                for n, (http, phone) in enumerate([(client, world.alice), (other, world.bob)] * 15)
            ]

            async def push_later(http: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> None:
                await asyncio.sleep(rng.random() * 0.3)
                await push(http, phone, ops)

            pushes = asyncio.ensure_future(asyncio.gather(*(push_later(*job) for job in work)))
            known: dict[str, dict[str, Any]] = {}
            cursor = ""
            while not pushes.done():
                changed, cursor, _ = await listing(client, world.dora, after=cursor, limit=1)
                known.update((h["id"], h) for h in changed)
                await asyncio.sleep(0)
            await pushes
    await push(
        client, world.carol, [correct(world.carol, world.households_b[1], phone="1")]
    )  # the end moves on
    changed, _, _ = await listing(client, world.dora, after=cursor)
    known.update((h["id"], h) for h in changed)

    server = (await client.get("/api/households", headers=world.dora.headers)).json()["households"]
    assert known == {h["id"]: h for h in server}
