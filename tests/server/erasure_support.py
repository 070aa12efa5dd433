"""Helpers shared by the PIPL tests (erasure, retention, residents' requests, audited reads): records of
every type pushed the way phones push them, and direct looks at the store."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select, update

from server.db import Store
from server.domain.ids import derived_record_id
from server.models import AuditEvent, ErasureEntry, OpRow, RecordRow
from sync import state_from_storage
from tests.server.factories import Phone


async def push(client: httpx.AsyncClient, phone: Phone, *ops: dict[str, Any]) -> list[dict[str, Any]]:
    """Push ``ops``; ``503 busy`` is retried as the protocol says (§6). Returns the results."""
    for _ in range(20):
        response = await client.post("/api/sync/push", json={"ops": list(ops)}, headers=phone.headers)
        if response.status_code != 503:
            break
        await asyncio.sleep(0.05)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def accepted(client: httpx.AsyncClient, phone: Phone, *ops: dict[str, Any]) -> str:
    """Push ``ops`` (of one record), all of which must be accepted; the record id."""
    results = await push(client, phone, *ops)
    assert [r["status"] for r in results] == ["accepted"] * len(ops), results
    return str(ops[0]["record"])


def visit(phone: Phone, household: str, day: str, notes: str = "老人身体尚好，血压偏高") -> dict[str, Any]:
    return phone.op(household=household, fields={"date": day, "notes": notes, "items": ["care"]})


def curtain_check(phone: Phone, household: str, day: str) -> dict[str, Any]:
    record = derived_record_id("curtain_check", [household, day])
    fields = {"date": day, "outcome": "seen", "checked_at": "08:10", "notes": "窗帘已拉开"}
    return phone.op(household=household, record=record, type="curtain_check", fields=fields)


def mediation(phone: Phone, household: str, mediators: list[int]) -> dict[str, Any]:
    fields = {
        "category": "neighbour",
        "parties": "3楼王某与4楼李某",
        "summary": "楼上漏水纠纷",
        "mediators": mediators,
    }
    return phone.op(household=household, type="mediation", fields=fields)


def step(phone: Phone, record: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """An ``append`` to a request's ``steps`` log."""
    op = phone.op(
        household=record["household"], record=record["record"], type="request", kind="append", field="steps",
        value=value,
    )  # fmt: skip
    del op["fields"]
    return op


def household_record(member: Phone, household: str, **fields: Any) -> dict[str, Any]:
    record = derived_record_id("household", [household])
    return member.op(household=household, record=record, type="household", fields=fields)


async def closed_request(
    client: httpx.AsyncClient, member: Phone, leader: Phone, household: str, *, close: bool = True
) -> str:
    """A request collected by ``member``, assigned and replied by ``leader`` (a 社区 coordinator), and — with
    ``close`` — closed by a satisfied return visit."""
    create = member.op(
        household=household, type="request",
        fields={"category": "repair", "description": "卫生间漏水", "contact": "王秀英 13812345678"},
    )  # fmt: skip
    await accepted(client, member, create, step(member, create, {"step": "collect"}))
    await accepted(client, leader, step(leader, create, {"step": "assign", "to": "物业公司"}))
    await accepted(client, leader, step(leader, create, {"step": "reply", "notes": "已派人维修"}))
    if close:
        await accepted(
            client, member, step(member, create, {"step": "return_visit", "satisfaction": "satisfied"})
        )
    return str(create["record"])


async def op_kinds(store: Store, record_id: str) -> list[str]:
    """The kinds of the ops the log holds for ``record_id``."""
    async with store.read() as session:
        return list((await session.scalars(select(OpRow.kind).where(OpRow.record_id == record_id))).all())


async def stored_state_text(store: Store, record_id: str) -> str:
    async with store.read() as session:
        row = await session.get(RecordRow, record_id)
        assert row is not None
        return row.state


async def is_erased(store: Store, record_id: str) -> bool:
    return state_from_storage(await stored_state_text(store, record_id)).is_erased


async def age_record(store: Store, record_id: str, when: datetime) -> None:
    """Pretend the server received every op of ``record_id`` at ``when`` (retention counts from there)."""
    async with store.write() as session:
        await session.execute(update(OpRow).where(OpRow.record_id == record_id).values(received_at=when))


async def audit_events(store: Store, kind: str) -> list[AuditEvent]:
    async with store.read() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)
        )
        return list(rows.all())


async def register(store: Store) -> list[ErasureEntry]:
    async with store.read() as session:
        return list((await session.scalars(select(ErasureEntry).order_by(ErasureEntry.id))).all())


async def count_ops(store: Store) -> int:
    async with store.read() as session:
        return int(await session.scalar(select(func.count()).select_from(OpRow)) or 0)
