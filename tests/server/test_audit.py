from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from server.db import Store
from server.models import AuditEvent
from tests.server.factories import World


@pytest.mark.parametrize("statement", ["update", "delete"])
async def test_the_audit_log_refuses_changes(store: Store, world: World, statement: str) -> None:
    query = update(AuditEvent).values(kind="login") if statement == "update" else delete(AuditEvent)

    with pytest.raises(DBAPIError, match="append-only"):
        async with store.write() as session:
            await session.execute(query)

    async with store.read() as session:
        assert (await session.scalars(select(AuditEvent.kind))).all().count("enrolled") == 4


async def test_the_audit_log_cannot_be_emptied_at_once(store: Store, world: World) -> None:
    # PostgreSQL's TRUNCATE fires no row triggers, and TRUNCATE members CASCADE would take the log along.
    # SQLite has neither TRUNCATE nor cascades; its way to empty a table is DELETE without WHERE.
    statements = (
        ["DELETE FROM audit_log"] if store.is_sqlite else ["TRUNCATE audit_log", "TRUNCATE members CASCADE"]
    )

    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.write() as session:
                await session.execute(text(statement))

    async with store.read() as session:
        assert (await session.scalars(select(AuditEvent.kind))).all().count("enrolled") == 4


async def test_rejected_ops_are_audited_without_their_content(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    op = world.alice.op(
        household=world.households_b[0], fields={"date": "2026-11-21", "notes": "王大爷的病情"}
    )

    await client.post("/api/sync/push", json={"ops": [op]}, headers=world.alice.headers)

    async with store.read() as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.kind == "op_rejected"))
    assert event is not None
    assert event.member_id == world.alice.member_id and event.device_id == world.alice.device_id
    assert event.detail == {"op": op["id"], "code": "out_of_scope"}
    assert "王大爷" not in json.dumps(event.detail, ensure_ascii=False)
