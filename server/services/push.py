"""Push: store a batch of ops, each one accepted, a duplicate, or rejected on its own.

One bad op never blocks the rest of the batch: every check below is per op and ends in a result, never in
an exception that would roll back the others. The whole batch is one transaction (``Store.write``), so the
client hears back only after everything accepted is durably committed.

Who wrote an op is the session's member, never what the client says. Where the member may write is their
scope (``services/scope.py``), widened only by the reassignment grace policy, and narrowed for restricted
records (mediation notes) to the record's readers and the coordinators above its grid. Scope is decided
before anything else about a record is said: a record outside it gets the same ``out_of_scope`` as one
that does not exist, never a ``record_mismatch`` naming its type or household.

Order independence (protocol §3.3): the ops of a batch are applied in stamp order (clock, replica, id),
whatever order they came in, and results are reported in request order. What a record type allows is
declared in ``server/domain/record-types.json`` and checked by ``server.domain.rules.check_op`` against the
record as it stands and the caller's role.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.domain.declaration import RECORD_TYPES
from server.domain.rules import FieldRuleError, check_op, member_ids
from server.models import Device, Household, Member, OpRow, RecordAccess, RecordRow
from server.models.base import utcnow
from server.services.access import may_read, record_facts
from server.services.audit import audit
from server.services.households import project_household
from server.services.record_index import community_of_grids, set_index, set_projections
from server.services.records import load_state, store_state
from server.services.scope import GraceWindow, grace_windows
from sync import (
    MergeError,
    Op,
    OpError,
    RecordState,
    StateBuilder,
    canonical_json,
    decode_clock,
    op_digest,
    op_to_json,
    parse_op,
)

__all__ = ["PushLimits", "PushResult", "push_ops"]

Status = Literal["accepted", "duplicate", "rejected"]

_ZH = {
    "invalid_op": "数据格式有误",
    "author_not_allowed": "作者由服务器确定，请勿填写",
    "op_too_large": "单条数据过大",
    "clock_ahead": "设备时间超前过多，请校准手机时间",
    "replica_mismatch": "设备与账号不匹配",
    "out_of_scope": "该户不在您负责的范围内",
    "record_mismatch": "记录的类型或所属户与已有记录不一致",
    "op_conflict": "同一编号的数据内容不一致",
    "duplicate_in_batch": "同一批次中编号重复且内容不一致",
}
_OUT_OF_SCOPE = "is not in your scope"
# Rejections a coordinator should hear about (the audit log); the others are client bugs or retries.
_AUDITED = {
    "out_of_scope",
    "replica_mismatch",
    "invalid_field",
    "invalid_value",
    "unknown_type",
    "record_mismatch",
    "field_not_allowed",
    "step_not_allowed",
}


@dataclass(frozen=True)
class PushLimits:
    max_op_bytes: int
    max_clock_ahead_ms: int
    grace_days: int = 14


@dataclass(frozen=True)
class PushResult:
    id: str | None
    status: Status
    code: str | None = None
    message: str | None = None
    message_zh: str | None = None

    def to_json(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"id": self.id, "status": self.status}
        if self.status == "rejected":
            out.update(code=self.code, message=self.message, message_zh=self.message_zh)
        return out


class _Rejected(Exception):
    def __init__(self, code: str, message: str, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh or _ZH.get(code, "数据被拒绝")


@dataclass
class _Batch:
    """What one push needs to look up, fetched once for the whole batch, and what it will write."""

    principal: Principal
    limits: PushLimits
    now_ms: int
    devices: dict[str, datetime | None]  # the member's devices (replica ids) -> when revoked
    household_grids: dict[str, int]  # households in scope or in a grace window
    grid_communities: Mapping[int, int | None]
    grace: list[GraceWindow]
    stored_ops: dict[str, tuple[str, int]]  # op id -> (digest, author) of ops already in the log
    records: dict[str, RecordRow]
    builders: dict[str, StateBuilder]  # one per record the batch touches, folding its ops in place
    access: dict[str, dict[int, RecordAccess]]  # restricted record -> member -> access row
    known_members: frozenset[int]  # of the member ids the batch's ops name (e.g. as mediators)
    creators: dict[str, int] = field(default_factory=dict)
    batch_digests: dict[str, str] = field(default_factory=dict)
    new_rows: list[dict[str, object]] = field(default_factory=list)


async def push_ops(
    session: AsyncSession,
    principal: Principal,
    raw_ops: Sequence[object],
    *,
    limits: PushLimits,
    now_ms: int,
    client: str | None = None,
) -> list[PushResult]:
    """Store ``raw_ops`` (already-decoded JSON values) for ``principal``; one result per op, in order."""
    batch = await _prefetch(session, principal, raw_ops, limits, now_ms)
    parsed = [_parse(batch, raw) for raw in raw_ops]
    results: list[PushResult | None] = [None] * len(parsed)
    fresh: list[tuple[int, Op, str]] = []
    first_seen: dict[str, str] = {}
    for index, item in enumerate(parsed):
        if isinstance(item, PushResult):
            results[index] = item
            continue
        op, digest = item
        seen = first_seen.get(op.id)
        if seen is None:
            first_seen[op.id] = digest
            fresh.append((index, op, digest))
        elif seen == digest:
            results[index] = PushResult(op.id, "duplicate")
        else:
            message = f"op {op.id} appears earlier in this batch with other content"
            results[index] = _rejection(op.id, _Rejected("duplicate_in_batch", message))
    # Apply in stamp order: an edit sent before the op that creates its record still lands after it.
    for index, op, digest in sorted(fresh, key=lambda item: item[1].stamp):
        try:
            results[index] = PushResult(op.id, _accept(batch, op, digest))
        except _Rejected as rejected:
            results[index] = _rejection(op.id, rejected)
    await _write(session, batch)
    done = [result for result in results if result is not None]
    assert len(done) == len(results)
    for result in done:
        if result.status == "rejected" and result.code in _AUDITED:
            await audit(
                session, "op_rejected", member_id=principal.member_id, device_id=principal.device_id,
                client=client, op=result.id, code=result.code,
            )  # fmt: skip
    return done


def _rejection(op_id: str | None, rejected: _Rejected) -> PushResult:
    return PushResult(op_id, "rejected", rejected.code, rejected.message, rejected.message_zh)


def _parse(batch: _Batch, raw: object) -> PushResult | tuple[Op, str]:
    """The op and its digest, or the result that rejects it for its shape alone."""
    op_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    try:
        op = _parse_within_limits(batch, raw)
    except _Rejected as rejected:
        return _rejection(op_id, rejected)
    return op, op_digest(op)


def _parse_within_limits(batch: _Batch, raw: object) -> Op:
    try:
        size = len(canonical_json(raw).encode("utf-8"))  # type: ignore[arg-type]
    except (TypeError, ValueError, RecursionError) as error:
        # Not plain JSON: a lone surrogate, NaN or a huge integer (routes.common), or nesting too deep.
        # parse_op names the place; if it does not, say what the encoder found.
        try:
            parse_op(raw)
        except OpError as op_error:
            raise _Rejected(op_error.code, op_error.message) from None
        except RecursionError:
            pass
        raise _Rejected("invalid_op", f"the op is not plain JSON: {error}") from None
    if size > batch.limits.max_op_bytes:
        raise _Rejected(
            "op_too_large", f"op is {size} bytes of JSON; the limit is {batch.limits.max_op_bytes}"
        )
    try:
        return parse_op(raw)
    except OpError as error:
        raise _Rejected(error.code, error.message) from None


def _accept(batch: _Batch, op: Op, digest: str) -> Status:
    stored = batch.stored_ops.get(op.id)
    if stored == (digest, batch.principal.member_id):
        return "duplicate"  # the caller's own op, sent again: nothing new is said
    _check_origin(batch, op)
    grid_id = _writable_grid(
        batch, op, batch.household_grids.get(op.household), f"household {op.household!r}"
    )
    builder = batch.builders.get(op.record)
    state = builder.state() if builder is not None else None
    row = batch.records.get(op.record)
    # Scope before anything else about an existing record: one outside it is answered as if unknown.
    if row is not None:
        _writable_grid(batch, op, row.grid_id, f"record {op.record}")
    if state is not None and not _may_read(batch, op.record, state, grid_id):
        raise _Rejected("out_of_scope", f"record {op.record} {_OUT_OF_SCOPE}")
    if state is not None and (state.type, state.household) != (op.type, op.household):
        raise _Rejected(
            "record_mismatch",
            f"record {op.record} is a {state.type!r} of household {state.household!r}; "
            f"the op says {op.type!r} of {op.household!r}",
        )
    if stored is not None:
        raise _Rejected("op_conflict", f"op id {op.id} was used before for other content; make a new id")
    try:
        check_op(op, state=state, role=batch.principal.role)
    except FieldRuleError as error:
        raise _Rejected(error.code, error.message, error.message_zh) from None
    unknown = member_ids(op) - batch.known_members
    if unknown:
        raise _Rejected(
            "invalid_value", f"{op.type} names unknown members {sorted(unknown)}", "指定的人员不存在"
        )

    authored = op.with_author(batch.principal.member_id)
    if builder is None:
        builder = batch.builders[op.record] = StateBuilder()
    try:
        builder.apply(authored)  # all or nothing: a refused op leaves the builder as it was
    except MergeError as error:
        raise _Rejected("op_conflict", f"op {op.id} cannot be merged: {error}") from None
    if state is None:
        batch.creators[op.record] = batch.principal.member_id
        if RECORD_TYPES[op.type].restricted:
            batch.access[op.record] = {}
    batch.batch_digests[op.id] = digest
    batch.new_rows.append(_op_row(batch, authored, grid_id, digest))
    return "accepted"


def _check_origin(batch: _Batch, op: Op) -> None:
    wall, _counter = decode_clock(op.clock)
    ahead_ms = wall - batch.now_ms
    if ahead_ms > batch.limits.max_clock_ahead_ms:
        raise _Rejected(
            "clock_ahead",
            f"op clock {op.clock} is {ahead_ms // 1000} s ahead of server time; "
            f"the limit is {batch.limits.max_clock_ahead_ms // 1000} s",
        )
    if op.replica not in batch.devices:
        raise _Rejected("replica_mismatch", f"replica {op.replica!r} is not one of your devices")
    revoked = batch.devices[op.replica]
    # A revoked device's ops recorded before the revocation may still arrive through the member's new
    # enrollment in the same browser (protocol §1, previous_device); nothing stamped after it may.
    if revoked is not None and wall >= revoked.timestamp() * 1000:
        raise _Rejected(
            "replica_mismatch", f"replica {op.replica!r} was revoked before this op was recorded ({op.clock})"
        )


def _writable_grid(batch: _Batch, op: Op, grid_id: int | None, what: str) -> int:
    """``grid_id`` if the member may write there now, or could when the op was recorded (grace policy)."""
    if grid_id is not None and grid_id in batch.principal.grid_ids:
        return grid_id
    if grid_id is not None:
        recorded = datetime.fromtimestamp(decode_clock(op.clock)[0] / 1000, UTC)
        for window in batch.grace:
            if window.grid_id == grid_id and window.started_at <= recorded <= window.ended_at:
                return grid_id
    raise _Rejected("out_of_scope", f"{what} {_OUT_OF_SCOPE}")


def _may_read(batch: _Batch, record_id: str, state: RecordState, grid_id: int) -> bool:
    """The one access rule (server.services.access) for a record as this batch has it now. ``grid_id`` is
    writable already — in scope, or in a reassignment grace window, which the rule counts as scope here."""
    stored = batch.records.get(record_id)
    creator = stored.created_by if stored is not None else batch.creators[record_id]
    facts = record_facts(record_type=state.type, grid_id=grid_id, created_by=creator, values=state.values())
    principal = batch.principal
    if grid_id not in principal.grid_ids:
        principal = dataclasses.replace(principal, grid_ids=principal.grid_ids | {grid_id})
    return may_read(principal, facts)


def _op_row(batch: _Batch, op: Op, grid_id: int, digest: str) -> dict[str, object]:
    body = op_to_json(op)
    body.pop("author", None)
    return {
        "op_id": op.id,
        "record_id": op.record,
        "record_type": op.type,
        "household_id": op.household,
        "grid_id": grid_id,
        "clock": op.clock,
        "replica": op.replica,
        "author_id": batch.principal.member_id,
        "device_id": batch.principal.device_id,
        "kind": op.kind,
        "restricted": RECORD_TYPES[op.type].restricted,
        "body": canonical_json(body),
        "digest": digest,
        "received_at": utcnow(),
    }


async def _prefetch(
    session: AsyncSession, principal: Principal, raw_ops: Sequence[object], limits: PushLimits, now_ms: int
) -> _Batch:
    def strings(key: str) -> set[str]:
        return {raw[key] for raw in raw_ops if isinstance(raw, dict) and isinstance(raw.get(key), str)}

    op_ids, record_ids, household_ids = strings("id"), strings("record"), strings("household")
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    grace = await grace_windows(
        session, member_id=principal.member_id, now=now, grace=timedelta(days=limits.grace_days)
    )
    writable_grids = principal.grid_ids | {window.grid_id for window in grace}
    devices = await session.execute(
        select(Device.id, Device.revoked_at).where(Device.member_id == principal.member_id)
    )
    households = await session.execute(
        select(Household.id, Household.grid_id).where(
            Household.id.in_(household_ids), Household.grid_id.in_(writable_grids)
        )
    )
    stored = await session.execute(
        select(OpRow.op_id, OpRow.digest, OpRow.author_id).where(OpRow.op_id.in_(op_ids))
    )
    named = {member_id for raw in raw_ops for member_id in _named_members(raw)}
    known = await session.scalars(select(Member.id).where(Member.id.in_(named)))
    records = (await session.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids)))).all()
    restricted = [row.id for row in records if row.restricted]
    access: dict[str, dict[int, RecordAccess]] = {record_id: {} for record_id in restricted}
    for row in (
        await session.scalars(select(RecordAccess).where(RecordAccess.record_id.in_(restricted)))
    ).all():
        access[row.record_id][row.member_id] = row
    household_grid_map = {hid: gid for hid, gid in households}
    return _Batch(
        principal=principal,
        limits=limits,
        now_ms=now_ms,
        devices={device_id: revoked_at for device_id, revoked_at in devices},
        household_grids=household_grid_map,
        grid_communities=await community_of_grids(session, set(household_grid_map.values())),
        grace=grace,
        stored_ops={oid: (digest, author) for oid, digest, author in stored},
        records={row.id: row for row in records},
        builders={row.id: StateBuilder(load_state(row)) for row in records},
        access=access,
        known_members=frozenset(known.all()),
    )


def _named_members(raw: object) -> set[int]:
    """Every integer an op's field lists or entry's ``to_member`` hold: candidates to look up as members."""
    if not isinstance(raw, dict):
        return set()
    values = list(raw["fields"].values()) if isinstance(raw.get("fields"), dict) else []
    if isinstance(raw.get("value"), dict):
        values.append([raw["value"].get("to_member")])
    # Only ids a member could have: a database integer column holds no more (and asyncpg/SQLite would
    # refuse to compare against a larger one — the op then fails its own checks, not the batch).
    return {
        v for value in values if isinstance(value, list) for v in value if type(v) is int and 0 < v < 2**31
    }


async def _write(session: AsyncSession, batch: _Batch) -> None:
    if not batch.new_rows:
        return
    inserted = await session.execute(
        insert(OpRow).returning(OpRow.seq, OpRow.record_id, sort_by_parameter_order=True), batch.new_rows
    )
    last_seq: dict[str, int] = {}
    for seq, record_id in inserted:
        last_seq[record_id] = max(seq, last_seq.get(record_id, seq))
    for record_id, seq in last_seq.items():
        state = batch.builders[record_id].state()
        row = batch.records.get(record_id)
        if row is None:
            row = RecordRow(
                id=record_id,
                type=state.type,
                household_id=state.household,
                grid_id=batch.household_grids[state.household],
                restricted=RECORD_TYPES[state.type].restricted,
                created_by=batch.creators[record_id],
                created_seq=seq,
            )
            session.add(row)
        store_state(row, state, seq)
        set_index(row, state, batch.grid_communities.get(row.grid_id))
        if state.type == "household":
            await project_household(session, state.household, state.values(), seq)
        if row.restricted or state.type in ("request", "visit"):
            await session.flush()
        await set_projections(session, row, state)
        if row.restricted:
            _update_access(session, batch, row, state, seq)


def _update_access(
    session: AsyncSession, batch: _Batch, row: RecordRow, state: RecordState, seq: int
) -> None:
    """Grant access to the record's current readers (and its creator); revoke it from the others."""
    wanted = RECORD_TYPES[row.type].readers(state.values()) | {row.created_by}
    current = batch.access.setdefault(row.id, {})
    for member_id in wanted:
        access = current.get(member_id)
        if access is None:
            access = RecordAccess(record_id=row.id, member_id=member_id, granted_seq=seq, revoked_seq=None)
            session.add(access)
            current[member_id] = access
        elif access.revoked_seq is not None:
            access.granted_seq, access.revoked_seq = seq, None
    for member_id, access in current.items():
        if member_id not in wanted and access.revoked_seq is None:
            access.revoked_seq = seq
