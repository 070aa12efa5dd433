"""Pushes that run at once (PostgreSQL: no global write lock) never deadlock over households' rows.

A push writes a household's row for its profile, for a newer last visit, and for a recount when a visit
moved earlier. Push A below grows the second household's last visit, then recounts the first's; push B
grows both, the first first.
Written in the order each push happened to compute them, A could hold the row B waits for while waiting
for the row B holds: PostgreSQL then kills one of them (a deadlock), and its phone hears 503. On SQLite
pushes take turns, and the test holds trivially.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.server.factories import World

ROUNDS = 25


async def _push(client: httpx.AsyncClient, headers: dict[str, str], ops: list[dict[str, object]]) -> int:
    response = await client.post("/api/sync/push", json={"ops": ops}, headers=headers)
    if response.status_code == 200:
        assert all(r["status"] == "accepted" for r in response.json()["results"]), response.text
    return response.status_code


async def test_pushes_writing_the_same_households_at_once_never_deadlock(
    client: httpx.AsyncClient, world: World
) -> None:
    first, second = sorted(world.households_a[:2])
    statuses = []
    for n in range(ROUNDS):
        day = f"2026-10-{n + 2:02d}"
        visit = world.alice.op(household=first, fields={"date": day, "items": ["policy"]})
        assert await _push(client, world.alice.headers, [visit]) == 200
        earlier = {"date": f"2026-09-{n + 2:02d}"}
        push_a = [  # grows `second`, then recounts `first` (its visit moved earlier)
            world.alice.op(household=second, fields={"date": day, "items": ["care"]}),
            world.alice.op(household=first, record=visit["record"], fields=earlier),
        ]
        push_b = [
            world.bob.op(household=h, fields={"date": day, "items": ["safety"]}) for h in (first, second)
        ]
        statuses += await asyncio.gather(
            _push(client, world.alice.headers, push_a), _push(client, world.bob.headers, push_b)
        )

    assert statuses == [200] * (2 * ROUNDS), statuses
