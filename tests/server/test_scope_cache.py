"""The scope cache: a member's scope costs no query while it stands still, and any change reaches the next
request, whoever wrote it (the database moves the scope generation itself: migration 0013)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from server.db import Store
from tests.server.factories import World
from tests.server.test_pull import push


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run (by any engine in this process) inside the block."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def grids_of(client: httpx.AsyncClient, world: World) -> set[int]:
    response = await client.get("/api/me", headers=world.alice.headers)
    assert response.status_code == 200, response.text
    return {grid["id"] for grid in response.json()["grids"]}


async def generation(store: Store) -> int:
    async with store.read() as session:
        return int((await session.execute(text("SELECT value FROM scope_generation"))).scalar_one())


async def test_an_unchanged_scope_is_not_read_again(client: httpx.AsyncClient, world: World) -> None:
    assert await grids_of(client, world) == {world.grid_a}

    with statements() as seen:
        assert await grids_of(client, world) == {world.grid_a}

    assert seen, "the request ran no statement at all: the listener is not working"
    assert not [statement for statement in seen if "assignments" in statement], seen


# Each a change to Alice's scope written straight into the database, as a hand-made fix or another
# process would: the app's cache never hears of it except through the scope generation.
CHANGES = {
    "assigned another grid": (
        "INSERT INTO assignments (member_id, area_id, started_at) VALUES (:alice, :grid_b, :now)",
        lambda world: {world.grid_a, world.grid_b},
    ),
    "assignment ended": (
        "UPDATE assignments SET ended_at = :now WHERE member_id = :alice AND ended_at IS NULL",
        lambda world: set(),
    ),
    "assignment deleted": ("DELETE FROM assignments WHERE member_id = :alice", lambda world: set()),
    "grid moved under the assignment": (
        "UPDATE assignments SET area_id = :community WHERE member_id = :alice",
        lambda world: {world.grid_a, world.grid_b},
    ),
    "made an admin": ("UPDATE members SET role = 'admin' WHERE id = :alice", None),
}


@pytest.mark.parametrize("change", sorted(CHANGES), ids=sorted(CHANGES))
async def test_a_scope_change_written_by_any_means_reaches_the_next_request(
    client: httpx.AsyncClient, store: Store, world: World, change: str
) -> None:
    sql, expected = CHANGES[change]
    assert await grids_of(client, world) == {world.grid_a}  # now in the app's cache
    before = await generation(store)

    async with store.write() as session:
        await session.execute(
            text(sql),
            {"alice": world.alice.member_id, "grid_b": world.grid_b, "community": world.community,
             "now": datetime.now(UTC)},
        )  # fmt: skip

    assert await generation(store) > before
    grids = await grids_of(client, world)
    if expected is None:  # an admin covers every grid there is
        async with store.read() as session:
            every = set((await session.execute(text("SELECT id FROM areas WHERE level = 'grid'"))).scalars())
        assert grids == every and len(every) >= 2
    else:
        assert grids == expected(world)


async def test_writes_that_change_no_scope_leave_the_generation_alone(store: Store, world: World) -> None:
    before = await generation(store)

    async with store.write() as session:
        await session.execute(
            text("UPDATE members SET name = '李华华' WHERE id = :alice"), {"alice": world.alice.member_id}
        )
        await session.execute(text("UPDATE households SET phone = '13800000000' WHERE grid_id = :grid"),
                              {"grid": world.grid_a})  # fmt: skip

    assert await generation(store) == before


async def test_a_member_whose_assignment_ended_pulls_nothing_of_the_grid_at_once(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    await push(client, world.bob, [world.bob.op(household=world.households_a[0])])
    before = await client.get("/api/sync/pull", headers=world.alice.headers)
    assert len(before.json()["ops"]) == 1

    async with store.write() as session:
        await session.execute(
            text("UPDATE assignments SET ended_at = :now WHERE member_id = :alice"),
            {"alice": world.alice.member_id, "now": datetime.now(UTC)},
        )

    after = await client.get("/api/sync/pull", headers=world.alice.headers)
    assert after.status_code == 200, after.text
    assert after.json()["ops"] == [] and after.json()["scope"] == {"grids": []}
