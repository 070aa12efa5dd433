"""Erasure 删除: a record's personal data removed for good — from its state, the op log and every device.

An erase op (docs/sync-protocol.md §3.2–3.3, sync/INTERNALS.md "Erasure") is made here and nowhere else:
replica ``server``, author the system member ``0``, no fields. Storing one, in one transaction:

1. every other op of the record is deleted from ``ops`` (so no pull, from any cursor, brings them back);
2. the erase op is stored with a fresh sequence number, so pull delivers it to every device that may read
   the record — mediators of a restricted one too, whose ``record_access`` rows are kept for that;
3. the record's state becomes the husk (id, type, household, the erase stamp) and its index columns say
   ``erased`` (stage ``erased``, deleted, closed, no date, no summary); its projections go (request facts;
   a household's last visit is counted again without it);
4. the erasure register (``erasures``) gets an entry naming the record and holding the erase op — no
   personal data — which ``lianhu db restore`` applies again to a restored older backup (:func:`reapply`).

Pushes of the record's other ops are absorbed from then on (``services/push.py`` answers ``duplicate``
and stores nothing). Erasures run in ``Store.write`` (serialized, like every writer that is not a push)
and lock the record rows without waiting: a push holding one makes the erasure answer ``Busy``, and
:func:`in_write` tries again a moment later.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import Store
from server.domain.indexing import ERASED_STAGE
from server.errors import Busy
from server.models import (
    AuthMethod,
    Device,
    ErasureEntry,
    Household,
    Member,
    OpRow,
    RecordRow,
    RequestFacts,
    Role,
    WorkEvent,
)
from server.services.log_end import draw_seqs
from server.services.record_index import recount_last_visits
from sync import (
    HybridClock,
    Op,
    apply_op,
    canonical_json,
    decode_clock,
    op_to_json,
    parse_op,
    state_from_storage,
    state_to_storage,
    uuid7,
)

__all__ = [
    "ERASED_STAGE",
    "SERVER_REPLICA",
    "SYSTEM_MEMBER_ID",
    "Erased",
    "RegisterEntry",
    "clear_household_facts",
    "ensure_system_identity",
    "erase_records",
    "in_write",
    "read_register",
    "reapply",
]

SYSTEM_MEMBER_ID: Final = 0  # the author of every erase op: not a person, never assigned, cannot log in
SERVER_REPLICA: Final = "server"  # its replica (and device) id: 6 characters, no enrolled device's (16)
OPS = cast(Table, OpRow.__table__)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Erased:
    """One record erased now: what the register and the audit may say about it."""

    record_id: str
    record_type: str
    household_id: str
    op: str  # the erase op's canonical JSON, without author


@dataclass(frozen=True)
class RegisterEntry:
    """An entry of the erasure register, detached from any session: what a restore carries across."""

    household_id: str
    record_id: str | None  # None: the household's facts were cleared
    record_type: str | None
    op: str | None
    reason: str
    requested_by: int | None
    erased_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "household": self.household_id, "record": self.record_id, "type": self.record_type,
            "op": self.op, "reason": self.reason, "requested_by": self.requested_by,
            "erased_at": self.erased_at.isoformat(),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RegisterEntry:
        return cls(
            household_id=str(obj["household"]), record_id=obj["record"], record_type=obj["type"],
            op=obj["op"], reason=str(obj["reason"]), requested_by=obj["requested_by"],
            erased_at=datetime.fromisoformat(obj["erased_at"]),
        )  # fmt: skip


async def read_register(session: AsyncSession) -> list[RegisterEntry]:
    """Every entry of the erasure register, oldest first."""
    rows = await session.scalars(select(ErasureEntry).order_by(ErasureEntry.id))
    return [
        RegisterEntry(
            row.household_id,
            row.record_id,
            row.record_type,
            row.op,
            row.reason,
            row.requested_by,
            row.erased_at,
        )
        for row in rows
    ]


async def in_write(store: Store, work: Callable[[AsyncSession], Awaitable[_T]], *, attempts: int = 8) -> _T:
    """Run ``work`` in a serialized write transaction, again after a moment when the store is busy (a
    push holding a record row the erasure needs)."""
    for attempt in range(1, attempts + 1):
        try:
            async with store.write() as session:
                return await work(session)
        except Busy:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


async def ensure_system_identity(session: AsyncSession, *, now: datetime) -> None:
    """The system member 0 and its device ``server``, made on first use (inactive, revoked, no key)."""
    if await session.get(Member, SYSTEM_MEMBER_ID) is None:
        session.add(
            Member(id=SYSTEM_MEMBER_ID, name="联户系统", role=Role.ADMIN, active=False, created_at=now)
        )
        await session.flush()
    if await session.get(Device, SERVER_REPLICA) is None:
        session.add(
            Device(
                id=SERVER_REPLICA, member_id=SYSTEM_MEMBER_ID, label="服务器（删除记录）",
                method=AuthMethod.DEVICE_KEY, public_key="", recovery_key="", lockout_key_hash="",
                created_at=now, revoked_at=now, locked_at=now,
            )
        )  # fmt: skip
        await session.flush()


async def erase_records(
    session: AsyncSession,
    record_ids: Sequence[str],
    *,
    reason: str,
    requested_by: int | None,
    now: datetime,
) -> list[Erased]:
    """Erase the records ``record_ids`` that are not erased yet (unknown ids are ignored); a new erase op
    each. Call inside ``Store.write`` (see :func:`in_write`)."""
    rows = await _lock_rows(session, record_ids)
    if not rows:
        return []
    await ensure_system_identity(session, now=now)
    clock = await _server_clock(session)
    now_ms = int(now.timestamp() * 1000)
    ops = {
        row.id: Op(
            uuid7(ms=now_ms),
            row.id,
            row.type,
            row.household_id,
            clock.now(now_ms),
            SERVER_REPLICA,
            "erase",
            author=SYSTEM_MEMBER_ID,
        )
        for row in rows
    }
    return await _store_erasures(session, rows, ops, reason=reason, requested_by=requested_by, now=now)


async def reapply(session: AsyncSession, entries: Sequence[RegisterEntry], *, now: datetime) -> list[Erased]:
    """Apply register entries again, each with its own erase op (same id and stamp, so a device that had
    it already changes nothing): the records of ``entries`` that the store holds un-erased — after a
    restore of a backup older than the erasure — are erased again, and households' facts cleared again.
    Entries the register lacks are added. Call inside ``Store.write``."""
    ops: dict[str, Op] = {}
    for entry in entries:
        if entry.record_id is not None and entry.op is not None:
            ops[entry.record_id] = parse_op(json.loads(entry.op)).with_author(SYSTEM_MEMBER_ID)
    rows = await _lock_rows(session, list(ops))
    erased: list[Erased] = []
    if rows:
        await ensure_system_identity(session, now=now)
        by_record = {entry.record_id: entry for entry in entries if entry.record_id is not None}
        for row in rows:
            entry = by_record[row.id]
            erased += await _store_erasures(
                session, [row], {row.id: ops[row.id]}, reason=entry.reason, requested_by=entry.requested_by,
                now=now, register=False,
            )  # fmt: skip
    for entry in entries:
        if entry.record_id is None:
            await clear_household_facts(session, entry.household_id)
    await _register_missing(session, entries)
    return erased


async def clear_household_facts(session: AsyncSession, household_id: str) -> bool:
    """Clear what the households row holds about the people living there (head, phone, residents, tags,
    health, income, emergency contact, care level, the curtain round, 三要有 dates, the last visit); keep the
    dwelling (address, grid) and the members linked to it. False if there is no such household."""
    done = await session.execute(
        update(Household)
        .where(Household.id == household_id)
        .values(
            head_name="",
            phone=None,
            residents=[],
            tags=[],
            health=None,
            income=None,
            emergency_contact=None,
            care_level="green",
            curtain_round=False,
            contact_card=None,
            info_sheet=None,
            last_visit=None,
        )
    )
    return bool(cast(Any, done).rowcount)


# -- storing ----------------------------------------------------------------------------------------------


async def _lock_rows(session: AsyncSession, record_ids: Sequence[str]) -> list[RecordRow]:
    """The records not erased yet, locked in id order (PostgreSQL: without waiting for a push)."""
    if not record_ids:
        return []
    query = select(RecordRow).where(RecordRow.id.in_(sorted(set(record_ids)))).order_by(RecordRow.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=RecordRow, nowait=True)
    rows = (await session.scalars(query)).all()
    return [row for row in rows if row.stage != ERASED_STAGE and not state_from_storage(row.state).is_erased]


async def _server_clock(session: AsyncSession) -> HybridClock:
    """The server replica's clock, after every erase stamp it made before."""
    last = await session.scalar(select(func.max(OpRow.clock)).where(OpRow.replica == SERVER_REPLICA))
    wall, counter = decode_clock(last) if last else (0, 0)
    return HybridClock(SERVER_REPLICA, wall=wall, counter=counter)


async def _store_erasures(
    session: AsyncSession,
    rows: Sequence[RecordRow],
    ops: dict[str, Op],
    *,
    reason: str,
    requested_by: int | None,
    now: datetime,
    register: bool = True,
) -> list[Erased]:
    ids = [row.id for row in rows]
    # Numbers first: on SQLite they follow the log's greatest seq, which may be one of the ops deleted here,
    # and a number once handed out must never be handed out again (a cursor may stand on it).
    seqs = await draw_seqs(session, len(rows))
    await session.execute(delete(OpRow).where(OpRow.record_id.in_(ids)))
    await session.execute(delete(RequestFacts).where(RequestFacts.record_id.in_(ids)))
    await session.execute(delete(WorkEvent).where(WorkEvent.record_id.in_(ids)))
    new_ops: list[dict[str, Any]] = []
    erased: list[Erased] = []
    for seq, row in zip(seqs, rows, strict=True):
        op = ops[row.id]
        wire = op_to_json(op)
        wire.pop("author", None)
        body = canonical_json(wire)
        new_ops.append(
            {"seq": seq, "op_id": op.id, "record_id": row.id, "record_type": row.type,
             "household_id": row.household_id, "grid_id": row.grid_id, "clock": op.clock,
             "replica": SERVER_REPLICA, "author_id": SYSTEM_MEMBER_ID, "device_id": SERVER_REPLICA,
             "kind": "erase", "restricted": row.restricted, "body": body,
             "digest": hashlib.sha256(body.encode()).hexdigest(), "received_at": now}
        )  # fmt: skip
        husk = apply_op(state_from_storage(row.state), op)
        row.state, row.deleted, row.updated_seq = state_to_storage(husk), True, seq
        row.stage, row.closed, row.record_date, row.due_ms = ERASED_STAGE, True, None, None
        row.summary, row.updated_by = "", SYSTEM_MEMBER_ID
        erased.append(Erased(row.id, row.type, row.household_id, body))
    await session.execute(OPS.insert(), new_ops)
    await session.flush()
    await recount_last_visits(session, {row.household_id for row in rows if row.type == "visit"})
    if register:
        session.add_all(
            ErasureEntry(
                household_id=item.household_id,
                record_id=item.record_id,
                record_type=item.record_type,
                op=item.op,
                reason=reason,
                requested_by=requested_by,
                erased_at=now,
            )
            for item in erased
        )
    return erased


async def _register_missing(session: AsyncSession, entries: Sequence[RegisterEntry]) -> None:
    """Add the entries this store's register lacks (a restored older register)."""
    known_records = set(
        (
            await session.scalars(select(ErasureEntry.record_id).where(ErasureEntry.record_id.is_not(None)))
        ).all()
    )
    known_households = {
        (household_id, at)
        for household_id, at in await session.execute(
            select(ErasureEntry.household_id, ErasureEntry.erased_at).where(ErasureEntry.record_id.is_(None))
        )
    }
    for entry in entries:
        if entry.record_id is not None and entry.record_id in known_records:
            continue
        if entry.record_id is None and (entry.household_id, entry.erased_at) in known_households:
            continue
        session.add(
            ErasureEntry(household_id=entry.household_id, record_id=entry.record_id,
                         record_type=entry.record_type, op=entry.op, reason=entry.reason,
                         requested_by=entry.requested_by, erased_at=entry.erased_at)
        )  # fmt: skip
