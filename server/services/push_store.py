"""The database side of a push: one look-up per table for the whole batch, one write per table after it.

:func:`prefetch` reads what every op of the batch needs to be judged (the caller's devices, the households
and their grids, ops already stored under the same ids, the records the batch touches with their stored
state, access rows of restricted records, the members the ops name). :func:`write_batch` then stores what
was accepted: the ops in one multi-row insert with sequence numbers drawn for the whole batch, the
records' new states and index columns in one insert and one update by primary key, and each projection
(request facts, households' facts and last visit) in one statement each. Only restricted records
(mediation notes, rare) go through the ORM, for their access rows.

Everything runs inside ``Store.write`` (serialized writers), so the sequence numbers drawn here are the
next ones in commit order and the pull cursor stays gap-free.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import BindParameter, Table, bindparam, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.domain.declaration import RECORD_TYPES
from server.domain.indexing import EVENT_TYPES, record_index, request_facts, work_events
from server.models import (
    Area,
    Device,
    Household,
    Member,
    OpRow,
    RecordAccess,
    RecordRow,
    RequestFacts,
    WorkEvent,
)
from server.services.households import HOUSEHOLD_COLUMNS
from server.services.log_end import draw_seqs
from server.services.record_index import recount_last_visits
from server.services.scope import GraceWindow
from sync import Op, RecordState, StateBuilder, state_from_storage, state_to_storage

__all__ = ["Batch", "StoredRecord", "prefetch", "write_batch"]

OPS = cast(Table, OpRow.__table__)
RECORDS = cast(Table, RecordRow.__table__)


# The look-ups of prefetch, built once and run with each batch's values (building them for every push
# cost more than running them).
_DEVICES = select(Device.id, Device.revoked_at).where(Device.member_id == bindparam("member"))
# Each household's grid, and the grid's community (its parent area) for the records' index.
_HOUSEHOLDS = (
    select(Household.id, Household.grid_id, Area.parent_id)
    .join(Area, Area.id == Household.grid_id)
    .where(
        Household.id.in_(bindparam("households", expanding=True)),
        Household.grid_id.in_(bindparam("grids", expanding=True)),
    )
)
_STORED_OPS = select(OpRow.op_id, OpRow.digest, OpRow.author_id).where(
    OpRow.op_id.in_(bindparam("op_ids", expanding=True))
)
_MEMBERS = select(Member.id).where(Member.id.in_(bindparam("members", expanding=True)))
_RECORDS_QUERY = select(
    RecordRow.id, RecordRow.grid_id, RecordRow.created_by, RecordRow.restricted,
    RecordRow.started_ms, RecordRow.type, RecordRow.stage, RecordRow.record_date, RecordRow.state,
).where(RecordRow.id.in_(bindparam("records", expanding=True))).order_by(RecordRow.id)  # fmt: skip
# On PostgreSQL (concurrent pushes, Store.write_ops) the rows this batch changes are locked, in id order.
_RECORDS = {False: _RECORDS_QUERY, True: _RECORDS_QUERY.with_for_update(of=RecordRow)}


@dataclass(frozen=True)
class StoredRecord:
    """The columns of a stored record that a push needs."""

    id: str
    grid_id: int
    created_by: int
    restricted: bool
    started_ms: int | None
    last_visit_date: str | None  # for a visit: its indexed date while it counts as a visit (stage visited)


@dataclass
class Batch:
    """What one push looked up, fetched once for the whole batch, and what it will write."""

    principal: Principal
    now_ms: int
    devices: dict[str, datetime | None]  # the member's devices (replica ids) -> when revoked
    household_grids: dict[str, int]  # households in scope or in a grace window
    grid_communities: Mapping[int, int | None]
    grace: list[GraceWindow]
    stored_ops: dict[str, tuple[str, int]]  # op id -> (digest, author) of ops already in the log
    records: dict[str, StoredRecord]
    builders: dict[str, StateBuilder]  # one per record the batch touches, folding its ops in place
    access: dict[str, dict[int, RecordAccess]]  # restricted record -> member -> access row
    known_members: frozenset[int]  # of the member ids the batch's ops name (e.g. as mediators)
    creators: dict[str, int] = field(default_factory=dict)
    batch_digests: dict[str, str] = field(default_factory=dict)
    new_rows: list[dict[str, Any]] = field(default_factory=list)


async def prefetch(
    session: AsyncSession,
    principal: Principal,
    ops: list[Op],
    named_members: set[int],
    *,
    now_ms: int,
    grace_days: int,
) -> Batch:
    """Everything the checks of a batch of (parsed) ops need, in one query per table."""
    op_ids = [op.id for op in ops]
    record_ids = {op.record for op in ops}
    household_ids = {op.household for op in ops}
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    grace = [
        window
        for window in principal.ended_assignments
        if window.ended_at >= now - timedelta(days=grace_days)
    ]
    writable_grids = principal.grid_ids | {window.grid_id for window in grace}
    devices = await session.execute(_DEVICES, {"member": principal.member_id})
    households = await session.execute(
        _HOUSEHOLDS, {"households": sorted(household_ids), "grids": sorted(writable_grids)}
    )
    stored = await session.execute(_STORED_OPS, {"op_ids": op_ids})
    known = (
        (await session.scalars(_MEMBERS, {"members": sorted(named_members)})).all() if named_members else []
    )
    postgresql = session.get_bind().dialect.name == "postgresql"
    rows = (await session.execute(_RECORDS[postgresql], {"records": sorted(record_ids)})).all()
    restricted = [row.id for row in rows if row.restricted]
    access: dict[str, dict[int, RecordAccess]] = {record_id: {} for record_id in restricted}
    if restricted:
        found = await session.scalars(select(RecordAccess).where(RecordAccess.record_id.in_(restricted)))
        for access_row in found.all():
            access[access_row.record_id][access_row.member_id] = access_row
    household_rows = households.all()
    household_grid_map = {hid: gid for hid, gid, _ in household_rows}
    return Batch(
        principal=principal,
        now_ms=now_ms,
        devices={device_id: revoked_at for device_id, revoked_at in devices},
        household_grids=household_grid_map,
        grid_communities={gid: community for _, gid, community in household_rows},
        grace=grace,
        stored_ops={oid: (digest, author) for oid, digest, author in stored},
        records={
            row.id: StoredRecord(
                id=row.id,
                grid_id=row.grid_id,
                created_by=row.created_by,
                restricted=row.restricted,
                started_ms=row.started_ms,
                last_visit_date=row.record_date if row.type == "visit" and row.stage == "visited" else None,
            )
            for row in rows
        },
        builders={row.id: StateBuilder(state_from_storage(row.state)) for row in rows},
        access=access,
        known_members=frozenset(known),
    )


def _upsert(session: AsyncSession, table: Any, rows: list[dict[str, Any]], key: str) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    columns = {name: statement.excluded[name] for name in rows[0] if name != key}
    return session.execute(statement.on_conflict_do_update(index_elements=[key], set_=columns), rows)


async def write_batch(session: AsyncSession, batch: Batch) -> None:
    """Store the accepted ops of ``batch`` and everything derived from them."""
    if not batch.new_rows:
        return
    seqs = await draw_seqs(session, len(batch.new_rows))
    first_seq: dict[str, int] = {}
    last_seq: dict[str, int] = {}
    for seq, row in zip(seqs, batch.new_rows, strict=True):
        row["seq"] = seq
        first_seq.setdefault(row["record_id"], seq)
        last_seq[row["record_id"]] = seq
    # Core statements, not the ORM: one executemany each, without per-row ORM bookkeeping.
    await session.execute(OPS.insert(), batch.new_rows)

    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    states: dict[str, RecordState] = {}
    grids: dict[str, int] = {}
    for record_id, seq in last_seq.items():
        state = states[record_id] = batch.builders[record_id].state()
        stored = batch.records.get(record_id)
        grid_id = grids[record_id] = (
            stored.grid_id if stored is not None else batch.household_grids[state.household]
        )
        index = record_index(state, known_start=stored.started_ms if stored is not None else None)
        columns: dict[str, Any] = {
            "id": record_id, "state": state_to_storage(state), "deleted": state.is_deleted,
            "updated_seq": seq, "community_id": batch.grid_communities.get(grid_id),
            "record_date": index.record_date, "stage": index.stage, "closed": index.closed,
            "due_ms": index.due_ms, "started_ms": index.started_ms, "updated_by": index.updated_by,
            "summary": index.summary,
        }  # fmt: skip
        if stored is None:
            columns.update(
                type=state.type, household_id=state.household, grid_id=grid_id,
                restricted=RECORD_TYPES[state.type].restricted, created_by=batch.creators[record_id],
                created_seq=first_seq[record_id],
            )  # fmt: skip
            created.append(columns)
        else:
            changed.append(columns)
    if created:
        await session.execute(RECORDS.insert(), created)
    if changed:
        statement = _record_update(tuple(name for name in changed[0] if name != "id"))
        await session.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in changed])
    await _project(session, batch, states, {c["id"]: c for c in [*created, *changed]}, last_seq, grids)
    for record_id, state in states.items():
        if RECORD_TYPES[state.type].restricted:
            _update_access(session, batch, record_id, state, last_seq[record_id])


async def _project(
    session: AsyncSession,
    batch: Batch,
    states: dict[str, RecordState],
    columns: dict[str, dict[str, Any]],
    last_seq: dict[str, int],
    grids: dict[str, int],
) -> None:
    """Request facts, households' facts (their own records), last visits and work events, one statement
    per kind."""
    facts = [
        {"record_id": record_id, **request_facts(state, start=columns[record_id]["started_ms"])}
        for record_id, state in states.items()
        if state.type == "request"
    ]
    if facts:
        await _upsert(session, RequestFacts.__table__, facts, "record_id")
    profiles: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
    for record_id, state in states.items():
        if state.type == "household":
            values = {
                HOUSEHOLD_COLUMNS[name]: ([] if name == "tags" and value is None else value)
                for name, value in state.values().items()
                if name in HOUSEHOLD_COLUMNS
            }
            row = {"id": state.household, **values, "profile_seq": last_seq[record_id]}
            profiles[frozenset(row)].append(row)
    grown, recount = _last_visits(batch, states, columns)
    # On PostgreSQL pushes write at once. One that writes households' rows in more than one statement (a
    # profile, newer last visits, a recount each) locks them all first, in id order, as every push locks
    # its records: two pushes then never each hold a row the other waits for (a deadlock, seen as 503).
    if len(profiles) + bool(grown) + len(recount) > 1 and session.get_bind().dialect.name == "postgresql":
        touched = {row["id"] for rows in profiles.values() for row in rows} | set(grown) | recount
        await session.execute(_LOCK_HOUSEHOLDS, {"ids": sorted(touched)})
    for rows in profiles.values():
        await session.execute(update(Household), sorted(rows, key=lambda row: str(row["id"])))
    if grown:
        await session.execute(
            _GROW_LAST_VISIT, [{"b_id": hid, "b_day": day} for hid, day in sorted(grown.items())]
        )
    await recount_last_visits(session, recount)
    await _work_events(session, states, columns, grids)


async def _work_events(
    session: AsyncSession,
    states: dict[str, RecordState],
    columns: dict[str, dict[str, Any]],
    grids: dict[str, int],
) -> None:
    """Rewrite the work events (server.models.WorkEvent) of the records that hold them."""
    touched = sorted(record_id for record_id, state in states.items() if state.type in EVENT_TYPES)
    if not touched:
        return
    table = cast(Table, WorkEvent.__table__)
    await session.execute(table.delete().where(table.c.record_id.in_(touched)))
    rows = [
        {"record_id": record_id, "grid_id": grids[record_id], **event}
        for record_id in touched
        for event in work_events(states[record_id], columns[record_id]["record_date"])
    ]
    if rows:
        await session.execute(table.insert(), rows)


def _last_visits(
    batch: Batch, states: dict[str, RecordState], columns: dict[str, dict[str, Any]]
) -> tuple[dict[str, str], set[str]]:
    """How ``households.last_visit`` (the latest visit that saw someone) moves: the households whose last
    visit grows to a day (a max, taken in the statement), and those whose visits must be asked again
    because one stopped counting or moved earlier (an edit, 未遇, a deletion)."""
    grown: dict[str, str] = {}
    recount: set[str] = set()
    for record_id, state in states.items():
        if state.type != "visit":
            continue
        now = columns[record_id]
        counts = now["stage"] == "visited" and isinstance(now["record_date"], str)
        stored = batch.records.get(record_id)
        before = stored.last_visit_date if stored is not None else None
        if before is not None and (not counts or now["record_date"] < before):
            recount.add(state.household)
        elif counts:
            grown[state.household] = max(grown.get(state.household, ""), now["record_date"])
    return {hid: day for hid, day in grown.items() if hid not in recount}, recount


def _grow_last_visit() -> Any:
    """``households.last_visit`` moved on to ``b_day`` if that is later. The maximum is taken in the
    statement itself: two pushes for one household cannot lose a visit."""
    table = cast(Table, Household.__table__)
    day: BindParameter[str] = bindparam("b_day")
    newer = case(
        (table.c.last_visit.is_(None), day), (table.c.last_visit < day, day), else_=table.c.last_visit
    )
    return table.update().where(table.c.id == bindparam("b_id")).values(last_visit=newer)


_GROW_LAST_VISIT = _grow_last_visit()
_LOCK_HOUSEHOLDS = (
    select(Household.id)
    .where(Household.id.in_(bindparam("ids", expanding=True)))
    .order_by(Household.id)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE: what an UPDATE of a non-key column takes
)


@functools.cache
def _record_update(names: tuple[str, ...]) -> Any:
    """The update of ``records`` by id that sets ``names`` (from ``b_<name>`` parameters), built once."""
    return (
        RECORDS.update()
        .where(RECORDS.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in names})
    )


def _update_access(session: AsyncSession, batch: Batch, record_id: str, state: RecordState, seq: int) -> None:
    """Grant access to the record's current readers (and its creator); revoke it from the others."""
    stored = batch.records.get(record_id)
    creator = stored.created_by if stored is not None else batch.creators[record_id]
    wanted = RECORD_TYPES[state.type].readers(state.values()) | {creator}
    current = batch.access.setdefault(record_id, {})
    for member_id in wanted:
        access = current.get(member_id)
        if access is None:
            access = RecordAccess(record_id=record_id, member_id=member_id, granted_seq=seq, revoked_seq=None)
            session.add(access)
            current[member_id] = access
        elif access.revoked_seq is not None:
            access.granted_seq, access.revoked_seq = seq, None
    for member_id, access in current.items():
        if member_id not in wanted and access.revoked_seq is None:
            access.revoked_seq = seq
