"""Reading records: the materialized state and the full history of writes (who, when, which device)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.errors import NotFound
from server.models import Member, OpRow, RecordRow
from server.services.access import facts_of_row, may_read
from sync import RecordState, is_uuid7, state_from_storage, state_to_json, state_to_storage

__all__ = ["get_record", "load_state", "op_json", "op_text", "record_history", "state_json", "store_state"]


def load_state(row: RecordRow) -> RecordState:
    """The stored state, read without replaying anything (``sync.state_from_storage``: our own store)."""
    return state_from_storage(row.state)


def store_state(row: RecordRow, state: RecordState, seq: int) -> None:
    """Write ``state`` into ``row`` in the compact storage form and note the last op's sequence number."""
    row.state = state_to_storage(state)
    row.deleted = state.is_deleted or state.is_erased  # an erased husk counts as deleted
    row.updated_seq = seq


def state_json(row: RecordRow) -> dict[str, Any]:
    """The record as clients see it (docs/sync-protocol.md §3.3)."""
    return dict(state_to_json(load_state(row)))


def op_json(row: OpRow) -> dict[str, Any]:
    """An op as clients see it: what was pushed, plus the author the server attached."""
    found: dict[str, Any] = json.loads(op_text(row.body, row.author_id))
    return found


def op_text(body: str, author: int) -> str:
    """:func:`op_json` as JSON text, spliced from the stored body (the op's canonical JSON object, which
    never holds ``author``) without parsing it: pull sends hundreds of ops a page."""
    return f'{{"author":{int(author)},{body[1:]}'


async def _visible_record(session: AsyncSession, principal: Principal, record_id: str) -> RecordRow:
    # Record ids are UUIDv7 (protocol §3.2): anything else names no record (and a NUL would not even
    # reach PostgreSQL as text).
    row = await session.get(RecordRow, record_id) if is_uuid7(record_id) else None
    # Not told apart from "does not exist": the caller learns nothing about records outside their scope.
    if row is None or not may_read(principal, facts_of_row(row)):
        raise NotFound(f"no record {record_id!r} in your scope")
    return row


async def get_record(session: AsyncSession, principal: Principal, record_id: str) -> dict[str, Any]:
    row = await _visible_record(session, principal, record_id)
    return {"record": state_json(row)}


async def record_history(session: AsyncSession, principal: Principal, record_id: str) -> dict[str, Any]:
    """Every op of the record in merge order, with author name and arrival time, next to the state."""
    row = await _visible_record(session, principal, record_id)
    result = await session.execute(
        select(OpRow, Member.name)
        .join(Member, Member.id == OpRow.author_id)
        .where(OpRow.record_id == record_id)
        .order_by(OpRow.clock, OpRow.replica, OpRow.op_id)
    )
    ops = []
    for op_row, author_name in result:
        op = op_json(op_row)
        op["author_name"] = author_name
        op["received_at"] = op_row.received_at.isoformat()
        ops.append(op)
    return {"record": state_json(row), "ops": ops}
