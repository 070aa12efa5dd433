from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.services.cursors import CursorBox
from server.settings import Settings
from tests.server.conftest import SECRET
from tests.server.factories import Phone, World


async def push(client: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> None:
    """Push as a client does: `503 busy` (the write lock did not come in time on a loaded machine) is an
    answer the protocol says to retry (§6), so the racing tests below retry it."""
    for _ in range(20):
        response = await client.post("/api/sync/push", json={"ops": ops}, headers=phone.headers)
        if response.status_code != 503:
            break
        assert response.json()["error"]["code"] == "busy", response.text
        await asyncio.sleep(0.05)
    assert response.status_code == 200, response.text
    assert all(r["status"] in ("accepted", "duplicate") for r in response.json()["results"]), response.text


async def pull_all(
    client: httpx.AsyncClient, phone: Phone, *, after: str = "", limit: int = 200
) -> tuple[list[Any], str]:
    ops: list[Any] = []
    cursor = after
    while True:
        response = await client.get(
            "/api/sync/pull", params={"after": cursor, "limit": limit}, headers=phone.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        ops.extend(page["ops"])
        cursor = page["cursor"]
        if not page["more"]:
            return ops, cursor


def position(cursor: str) -> int:
    return CursorBox(SECRET).open(cursor)


async def test_pull_returns_only_ops_of_the_callers_grids_with_their_authors(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = world.alice.op(household=world.households_a[0])
    theirs = world.carol.op(household=world.households_b[0])
    await push(client, world.alice, [mine])
    await push(client, world.carol, [theirs])

    bob_sees, _ = await pull_all(client, world.bob)
    carol_sees, _ = await pull_all(client, world.carol)

    assert bob_sees == [{**mine, "author": world.alice.member_id}]
    assert carol_sees == [{**theirs, "author": world.carol.member_id}]


async def test_pages_follow_the_cursor_without_gaps_or_repeats(
    client: httpx.AsyncClient, world: World
) -> None:
    ops = [world.alice.op(household=world.households_a[n % 3]) for n in range(25)]
    await push(client, world.alice, ops)

    first = (await client.get("/api/sync/pull", params={"limit": 10}, headers=world.bob.headers)).json()
    pulled, cursor = await pull_all(client, world.bob, after=first["cursor"], limit=10)
    later, final_cursor = await pull_all(client, world.bob, after=cursor)

    assert first["more"] is True and len(first["ops"]) == 10
    assert [op["id"] for op in first["ops"] + pulled] == [op["id"] for op in ops]
    assert later == [] and position(final_cursor) == position(cursor)


async def test_a_cursor_moves_past_other_grids_changes_without_showing_them(
    client: httpx.AsyncClient, world: World
) -> None:
    _, cursor = await pull_all(client, world.alice)
    await push(client, world.carol, [world.carol.op(household=world.households_b[0])])

    ops, next_cursor = await pull_all(client, world.alice, after=cursor)

    assert ops == [] and position(next_cursor) > position(cursor)  # moved past ops the caller cannot see


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"after": "12"}, "invalid_cursor"),
        ({"after": "v1.-3"}, "invalid_cursor"),
        ({"after": "v1.abc"}, "invalid_cursor"),
        ({"after": CursorBox("another server's secret!" * 2).seal(3)}, "invalid_cursor"),
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "5001"}, "invalid_limit"),
        ({"limit": "ten"}, "invalid_limit"),
    ],
    ids=["bare-number", "negative", "letters", "foreign", "zero-limit", "limit-too-big", "limit-not-number"],
)
async def test_bad_pull_parameters_get_a_400(
    client: httpx.AsyncClient, world: World, params: dict[str, str], code: str
) -> None:
    response = await client.get("/api/sync/pull", params=params, headers=world.alice.headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_a_puller_racing_concurrent_pushes_never_skips_an_op(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> None:
    """Two server processes (two apps, two stores) commit pushes while a reader follows the cursor.

    The reader must end with every op exactly once: sequence numbers must become visible in order.
    """
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as other:
            work = [(http, phone, [phone.op(household=world.households_a[n % 3]) for n in range(5)])
                    for http, phone in [(client, world.alice), (other, world.bob)] * 20]  # fmt: skip
            rng = random.Random(7)

            async def push_later(http: httpx.AsyncClient, phone: Phone, ops: list[Any]) -> None:
                await asyncio.sleep(rng.random() * 0.3)  # spread the commits so the reader runs between them
                await push(http, phone, ops)

            pushes = asyncio.ensure_future(asyncio.gather(*(push_later(*job) for job in work)))
            seen: list[str] = []
            cursor = ""
            while not pushes.done():
                ops, cursor = await pull_all(client, world.alice, after=cursor, limit=50)
                seen.extend(op["id"] for op in ops)
                await asyncio.sleep(0)
            await pushes
    ops, cursor = await pull_all(client, world.alice, after=cursor)
    seen.extend(op["id"] for op in ops)

    expected = {op["id"] for _, _, batch in work for op in batch}
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
