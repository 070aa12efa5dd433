"""Push: store a batch of ops, each one accepted, a duplicate, or rejected on its own.

One bad op never blocks the rest of the batch: every check below is per op and ends in a result, never in
an exception that would roll back the others. The whole batch is one transaction (``Store.write``), so the
client hears back only after everything accepted is durably committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.domain.record_types import FieldRuleError, validate_op
from server.models import Device, Household, OpRow, RecordRow
from server.models.base import utcnow
from server.services.records import load_state, store_state
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
    "out_of_scope": "该户不在您负责的网格内",
    "record_mismatch": "记录的类型或所属户与已有记录不一致",
    "op_conflict": "同一编号的数据内容不一致",
    "duplicate_in_batch": "同一批次中编号重复且内容不一致",
}


@dataclass(frozen=True)
class PushLimits:
    max_op_bytes: int
    max_clock_ahead_ms: int


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
    """What one push needs to look up, fetched once for the whole batch."""

    principal: Principal
    limits: PushLimits
    now_ms: int
    devices: frozenset[str]
    household_grids: dict[str, int]  # only households inside the principal's grids
    stored_ops: dict[str, tuple[str, int]]  # op id -> (digest, author) of ops already in the log
    records: dict[str, RecordRow]
    states: dict[str, RecordState]
    batch_digests: dict[str, str]
    new_rows: list[dict[str, object]]


async def push_ops(
    session: AsyncSession, principal: Principal, raw_ops: Sequence[object], *, limits: PushLimits, now_ms: int
) -> list[PushResult]:
    """Store ``raw_ops`` (already-decoded JSON values) for ``principal``; one result per op, in order."""
    batch = await _prefetch(session, principal, raw_ops, limits, now_ms)
    results = [_push_one(batch, raw) for raw in raw_ops]
    await _write(session, batch)
    return results


def _push_one(batch: _Batch, raw: object) -> PushResult:
    op_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    try:
        status = _accept(batch, raw)
    except _Rejected as rejected:
        return PushResult(op_id, "rejected", rejected.code, rejected.message, rejected.message_zh)
    return PushResult(op_id, status)


def _accept(batch: _Batch, raw: object) -> Status:
    size = len(canonical_json(raw).encode("utf-8"))  # type: ignore[arg-type]
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
    grid_id = batch.household_grids.get(op.household)
    if grid_id is None:
        raise _Rejected("out_of_scope", f"household {op.household!r} is not in your grids")
    state = batch.states.get(op.record)
    if state is not None and (state.type, state.household) != (op.type, op.household):
        raise _Rejected(
            "record_mismatch",
            f"record {op.record} is a {state.type!r} of household {state.household!r}; "
            f"the op says {op.type!r} of {op.household!r}",
        )
    try:
        validate_op(op, creates_record=state is None)
    except FieldRuleError as error:
        raise _Rejected(error.code, error.message, error.message_zh) from None

    authored = op.with_author(batch.principal.member_id)
    batch.states[op.record] = apply_op(state, authored)
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
    devices = await session.scalars(select(Device.id).where(Device.member_id == principal.member_id))
    households = await session.execute(
        select(Household.id, Household.grid_id).where(
            Household.id.in_(household_ids), Household.grid_id.in_(principal.grid_ids)
        )
    )
    stored = await session.execute(
        select(OpRow.op_id, OpRow.digest, OpRow.author_id).where(OpRow.op_id.in_(op_ids))
    )
    records = (await session.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids)))).all()
    return _Batch(
        principal=principal,
        limits=limits,
        now_ms=now_ms,
        devices=frozenset(devices.all()),
        household_grids={hid: gid for hid, gid in households},
        stored_ops={oid: (digest, author) for oid, digest, author in stored},
        records={row.id: row for row in records},
        states={row.id: load_state(row) for row in records},
        batch_digests={},
        new_rows=[],
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
                created_seq=seq,
            )
            session.add(row)
        store_state(row, state, seq)
