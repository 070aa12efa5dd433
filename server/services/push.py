"""Push: store a batch of ops, each one accepted, a duplicate, or rejected on its own.

One bad op never blocks the rest of the batch: every check below is per op and ends in a result, never in
an exception that would roll back the others. The whole batch is one transaction (``Store.write``), so the
client hears back only after everything accepted is durably committed.

Who wrote an op is the session's member, never what the client says. Where the member may write is their
scope (``services/scope.py``), widened only by the reassignment grace policy, and narrowed for restricted
records (mediation notes) to the record's readers and the coordinators above its grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.domain.record_types import RECORD_TYPES, FieldRuleError, readers, validate_op
from server.models import Device, Household, Member, OpRow, RecordAccess, RecordRow
from server.models.base import utcnow
from server.services.audit import audit
from server.services.records import load_state, store_state
from server.services.scope import GraceWindow, grace_windows
from sync import (
    Op,
    OpError,
    RecordState,
    apply_op,
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
# Rejections a coordinator should hear about (the audit log); the others are client bugs or retries.
_AUDITED = {
    "out_of_scope",
    "replica_mismatch",
    "invalid_field",
    "invalid_value",
    "unknown_type",
    "record_mismatch",
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
    devices: frozenset[str]
    household_grids: dict[str, int]  # households in scope or in a grace window
    grace: list[GraceWindow]
    stored_ops: dict[str, tuple[str, int]]  # op id -> (digest, author) of ops already in the log
    records: dict[str, RecordRow]
    states: dict[str, RecordState]
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
    results = [_push_one(batch, raw) for raw in raw_ops]
    await _write(session, batch)
    for result in results:
        if result.status == "rejected" and result.code in _AUDITED:
            await audit(
                session, "op_rejected", member_id=principal.member_id, device_id=principal.device_id,
                client=client, op=result.id, code=result.code,
            )  # fmt: skip
    return results


def _push_one(batch: _Batch, raw: object) -> PushResult:
    op_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    try:
        status = _accept(batch, raw)
    except _Rejected as rejected:
        return PushResult(op_id, "rejected", rejected.code, rejected.message, rejected.message_zh)
    return PushResult(op_id, status)


def _accept(batch: _Batch, raw: object) -> Status:
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
        op = parse_op(raw)
    except OpError as error:
        raise _Rejected(error.code, error.message) from None
    digest = op_digest(op)

    if op.id in batch.batch_digests:
        if batch.batch_digests[op.id] == digest:
            return "duplicate"
        raise _Rejected("duplicate_in_batch", f"op {op.id} appears earlier in this batch with other content")
    stored = batch.stored_ops.get(op.id)
    if stored is not None:
        if stored == (digest, batch.principal.member_id):
            return "duplicate"
        raise _Rejected("op_conflict", f"op {op.id} was stored before with different content")

    _check_origin(batch, op)
    grid_id = _writable_grid(batch, op)
    state = batch.states.get(op.record)
    if state is not None and (state.type, state.household) != (op.type, op.household):
        raise _Rejected(
            "record_mismatch",
            f"record {op.record} is a {state.type!r} of household {state.household!r}; "
            f"the op says {op.type!r} of {op.household!r}",
        )
    if state is not None and RECORD_TYPES[state.type].restricted and not _may_read(batch, op.record, state):
        raise _Rejected("out_of_scope", f"household {op.household!r} is not in your scope")
    try:
        validate_op(op, creates_record=state is None)
    except FieldRuleError as error:
        raise _Rejected(error.code, error.message, error.message_zh) from None
    named = readers(RECORD_TYPES[op.type], op.fields or {}) if op.kind == "set" else frozenset()
    if named - batch.known_members:
        raise _Rejected(
            "invalid_value",
            f"{op.type} names unknown members {sorted(named - batch.known_members)}",
            "指定的人员不存在",
        )

    authored = op.with_author(batch.principal.member_id)
    batch.states[op.record] = apply_op(state, authored)
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


def _writable_grid(batch: _Batch, op: Op) -> int:
    """The household's grid if the member may write there now, or could when the op was recorded."""
    grid_id = batch.household_grids.get(op.household)
    if grid_id is not None and grid_id in batch.principal.grid_ids:
        return grid_id
    if grid_id is not None:
        recorded = datetime.fromtimestamp(decode_clock(op.clock)[0] / 1000, UTC)
        for window in batch.grace:
            if window.grid_id == grid_id and window.started_at <= recorded <= window.ended_at:
                return grid_id
    raise _Rejected("out_of_scope", f"household {op.household!r} is not in your scope")


def _may_read(batch: _Batch, record_id: str, state: RecordState) -> bool:
    """Whether the pusher may see a restricted record as it stands now (its readers, its creator)."""
    if batch.principal.is_coordinator:
        return True
    stored = batch.records.get(record_id)
    creator = stored.created_by if stored is not None else batch.creators.get(record_id)
    return batch.principal.member_id in readers(RECORD_TYPES[state.type], state.values()) | {creator}


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
    devices = await session.scalars(select(Device.id).where(Device.member_id == principal.member_id))
    households = await session.execute(
        select(Household.id, Household.grid_id).where(
            Household.id.in_(household_ids), Household.grid_id.in_(writable_grids)
        )
    )
    stored = await session.execute(
        select(OpRow.op_id, OpRow.digest, OpRow.author_id).where(OpRow.op_id.in_(op_ids))
    )
    named = {
        member_id
        for raw in raw_ops
        if isinstance(raw, dict) and isinstance(raw.get("fields"), dict)
        for value in raw["fields"].values()
        if isinstance(value, list)
        for member_id in value
        if isinstance(member_id, int) and not isinstance(member_id, bool)
    }
    known = await session.scalars(select(Member.id).where(Member.id.in_(named)))
    records = (await session.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids)))).all()
    restricted = [row.id for row in records if row.restricted]
    access: dict[str, dict[int, RecordAccess]] = {record_id: {} for record_id in restricted}
    for row in (
        await session.scalars(select(RecordAccess).where(RecordAccess.record_id.in_(restricted)))
    ).all():
        access[row.record_id][row.member_id] = row
    return _Batch(
        principal=principal,
        limits=limits,
        now_ms=now_ms,
        devices=frozenset(devices.all()),
        household_grids={hid: gid for hid, gid in households},
        grace=grace,
        stored_ops={oid: (digest, author) for oid, digest, author in stored},
        records={row.id: row for row in records},
        states={row.id: load_state(row) for row in records},
        access=access,
        known_members=frozenset(known.all()),
    )


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
        state = batch.states[record_id]
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
        if row.restricted:
            await session.flush()
            _update_access(session, batch, row, state, seq)


def _update_access(
    session: AsyncSession, batch: _Batch, row: RecordRow, state: RecordState, seq: int
) -> None:
    """Grant access to the record's current readers (and its creator); revoke it from the others."""
    wanted = readers(RECORD_TYPES[row.type], state.values()) | {row.created_by}
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
