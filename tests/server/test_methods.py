"""A known route called with another method answers 405 with ``Allow``, as docs/sync-protocol.md §6 says;
only paths no route knows are 404 (issue 9, hole 8)."""

from __future__ import annotations

import httpx
import pytest

from tests.server.factories import World


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/sync/push", "POST"),
        ("POST", "/api/sync/pull", "GET, HEAD"),
        ("DELETE", "/api/me", "GET, HEAD"),
        ("PUT", "/api/login/start", "POST"),
        ("OPTIONS", "/api/logout", "POST"),
        ("PATCH", "/api/records/019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69", "GET, HEAD"),
    ],
    ids=["get-push", "post-pull", "delete-me", "put-login", "options-logout", "patch-record"],
)
async def test_a_known_route_with_another_method_is_405(
    client: httpx.AsyncClient, world: World, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, headers=world.alice.headers)

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"] == allowed
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_an_unknown_api_path_is_404_whatever_the_method(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    response = await client.request(method, "/api/nothing/here", headers=world.alice.headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
