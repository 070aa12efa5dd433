"""The restore drill (issue 9, PIPL): back up a running store, keep writing, restore, and find exactly the
data of the backup, on a store the server works with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.db import Store
from server.services.backup import BackupError, backup, restore
from server.settings import Settings
from tests.server.factories import Phone, World, make_world


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client


async def push(client: httpx.AsyncClient, phone: Phone, op: dict[str, Any]) -> None:
    response = await client.post("/api/sync/push", json={"ops": [op]}, headers=phone.headers)
    assert response.json()["results"][0]["status"] == "accepted", response.text


async def pulled_notes(client: httpx.AsyncClient, phone: Phone) -> list[str]:
    response = await client.get("/api/sync/pull?limit=1000", headers=phone.headers)
    assert response.status_code == 200, response.text
    return sorted(op["fields"]["notes"] for op in response.json()["ops"])


async def test_a_restored_backup_holds_exactly_what_was_there_when_it_was_taken(
    settings: Settings, tmp_path: Path
) -> None:
    store = Store(settings.database_url)
    try:
        world: World = await make_world(store, settings)
    finally:
        await store.dispose()
    target = tmp_path / "backups" / "lianhu.backup"
    async with running(settings) as client:
        await push(client, world.alice, world.alice.op(household=world.households_a[0], fields={
            "date": "2026-11-29", "notes": "备份之前"}))  # fmt: skip
        await backup(settings.database_url, target)  # while the server runs
        await push(client, world.alice, world.alice.op(household=world.households_a[1], fields={
            "date": "2026-11-30", "notes": "备份之后"}))  # fmt: skip
        assert await pulled_notes(client, world.alice) == ["备份之前", "备份之后"]

    await restore(settings.database_url, target)

    async with running(settings) as client:
        assert await pulled_notes(client, world.alice) == ["备份之前"]
        # The restored store takes writes again: the op made after the backup can simply be pushed anew.
        await push(client, world.alice, world.alice.op(household=world.households_a[1], fields={
            "date": "2026-11-30", "notes": "恢复之后"}))  # fmt: skip
        assert await pulled_notes(client, world.alice) == ["备份之前", "恢复之后"]


async def test_a_backup_never_overwrites_a_file_and_a_missing_backup_is_named(
    settings: Settings, tmp_path: Path
) -> None:
    existing = tmp_path / "old.backup"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="exists"):
        await backup(settings.database_url, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(BackupError, match="no backup file"):
        await restore(settings.database_url, tmp_path / "missing.backup")
