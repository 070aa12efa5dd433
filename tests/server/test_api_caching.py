"""API answers hold personal data: no browser or proxy may keep them (issue 9, hole 1)."""

from __future__ import annotations

import httpx
import pytest

from tests.server.factories import World


@pytest.mark.parametrize(
    "path", ["/api/me", "/api/households", "/api/members", "/api/sync/pull", "/api/nothing"]
)
async def test_every_api_answer_forbids_caching(client: httpx.AsyncClient, world: World, path: str) -> None:
    for headers in (world.alice.headers, {}):
        response = await client.get(path, headers=headers)
        assert response.headers["cache-control"] == "no-store", (path, response.status_code)


async def test_after_logout_the_session_reads_nothing(client: httpx.AsyncClient, world: World) -> None:
    assert (await client.get("/api/households", headers=world.alice.headers)).status_code == 200

    assert (await client.post("/api/logout", headers=world.alice.headers)).status_code == 204

    response = await client.get("/api/households", headers=world.alice.headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
