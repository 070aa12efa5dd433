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
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.domain.declaration import RECORD_TYPES
from server.domain.rules import FieldRuleError, check_op, member_ids
from server.services.access import may_read, record_facts
from server.services.audit import audit
from server.services.push_store import Batch, prefetch, write_batch
from sync import (
    MergeError,
    Op,
    OpError,
    RecordState,
    StateBuilder,
    canonical_json,
    decode_clock,
    op_to_json,
    parse_op,
)

__all__ = ["Prepared", "PushLimits", "PushResult", "prepare_ops", "push_ops"]

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


@dataclass(frozen=True)
class Prepared:
    """A batch after its pure work (parsing, canonical form, digests, duplicates within the batch), done
    before the write lock is taken: one entry per op, in request order."""

    entries: tuple[PushResult | _Parsed, ...]


@dataclass(frozen=True)
class _Parsed:
    op: Op
    digest: str  # SHA-256 of body: what tells a resent op from a different one under the same id
    body: str  # the op's canonical JSON without author, as stored


def prepare_ops(raw_ops: Sequence[object], *, max_op_bytes: int) -> Prepared:
    """Parse and check the shape of every op, without the database. Pure: call it outside the lock."""
    entries: list[PushResult | _Parsed] = []
    first_seen: dict[str, str] = {}
    for raw in raw_ops:
        entry = _parse(raw, max_op_bytes)
        if isinstance(entry, _Parsed):
            seen = first_seen.get(entry.op.id)
            if seen is None:
                first_seen[entry.op.id] = entry.digest
            elif seen == entry.digest:
                entry = PushResult(entry.op.id, "duplicate")
            else:
                message = f"op {entry.op.id} appears earlier in this batch with other content"
                entry = _rejection(entry.op.id, _Rejected("duplicate_in_batch", message))
        entries.append(entry)
    return Prepared(tuple(entries))


async def push_ops(
    session: AsyncSession,
    principal: Principal,
    raw_ops: Sequence[object] | Prepared,
    *,
    limits: PushLimits,
    now_ms: int,
    client: str | None = None,
) -> list[PushResult]:
    """Store ``raw_ops`` (decoded JSON values, or :func:`prepare_ops` of them) for ``principal``; one result
    per op, in request order."""
    prepared = (
        raw_ops if isinstance(raw_ops, Prepared) else prepare_ops(raw_ops, max_op_bytes=limits.max_op_bytes)
    )
    fresh = [(i, e) for i, e in enumerate(prepared.entries) if isinstance(e, _Parsed)]
    named = {m for _, e in fresh for m in member_ids(e.op) if 0 < m < 2**31}  # ids an integer column holds
    batch = await prefetch(
        session, principal, [e.op for _, e in fresh], named, now_ms=now_ms, grace_days=limits.grace_days
    )
    results = [e if isinstance(e, PushResult) else None for e in prepared.entries]
    # Apply in stamp order: an edit sent before the op that creates its record still lands after it.
    for index, entry in sorted(fresh, key=lambda item: item[1].op.stamp):
        try:
            results[index] = PushResult(entry.op.id, _accept(batch, limits, entry))
        except _Rejected as rejected:
            results[index] = _rejection(entry.op.id, rejected)
    await write_batch(session, batch)
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


def _parse(raw: object, max_op_bytes: int) -> PushResult | _Parsed:
    """The op with its canonical body and digest, or the result that rejects it for its shape alone.

    Not plain JSON — a lone surrogate, NaN or a huge integer (server.routes.common keeps those as markers),
    nesting too deep — is the op's own ``invalid_op``, named by ``parse_op``.
    """
    op_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    try:
        op = parse_op(raw)
    except OpError as error:
        return _rejection(op_id, _Rejected(error.code, error.message))
    except RecursionError:
        return _rejection(op_id, _Rejected("invalid_op", "the op nests too deeply"))
    if any(ord(ch) < 0x20 for ch in op.household):
        # A household id is looked up as it is; a control character (NUL above all) names none and
        # PostgreSQL cannot even compare text holding a NUL.
        return _rejection(op.id, _Rejected("invalid_op", "household must not contain control characters"))
    as_json = op_to_json(op)
    as_json.pop("author", None)
    body = canonical_json(as_json)
    encoded = body.encode("utf-8")
    if len(encoded) > max_op_bytes:
        message = f"op is {len(encoded)} bytes of JSON; the limit is {max_op_bytes}"
        return _rejection(op.id, _Rejected("op_too_large", message))
    return _Parsed(op, hashlib.sha256(encoded).hexdigest(), body)


def _accept(batch: Batch, limits: PushLimits, entry: _Parsed) -> Status:
    op, digest = entry.op, entry.digest
    stored = batch.stored_ops.get(op.id)
    if stored == (digest, batch.principal.member_id):
        return "duplicate"  # the caller's own op, sent again: nothing new is said
    _check_origin(batch, limits, op)
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
    if op.kind == "erase":  # only the server erases (services/erasure.py; protocol §3.3)
        raise _Rejected("erase_not_allowed", "only the server makes erase ops", "只有服务器可以擦除记录")
    if state is not None and state.is_erased:
        return "duplicate"  # the record was erased: its husk absorbs the op, and nothing of it is stored
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
    batch.new_rows.append(_op_row(batch, op, grid_id, entry))
    return "accepted"


def _check_origin(batch: Batch, limits: PushLimits, op: Op) -> None:
    wall, _counter = decode_clock(op.clock)
    ahead_ms = wall - batch.now_ms
    if ahead_ms > limits.max_clock_ahead_ms:
        raise _Rejected(
            "clock_ahead",
            f"op clock {op.clock} is {ahead_ms // 1000} s ahead of server time; "
            f"the limit is {limits.max_clock_ahead_ms // 1000} s",
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


def _writable_grid(batch: Batch, op: Op, grid_id: int | None, what: str) -> int:
    """``grid_id`` if the member may write there now, or could when the op was recorded (grace policy)."""
    if grid_id is not None and grid_id in batch.principal.grid_ids:
        return grid_id
    if grid_id is not None:
        recorded = datetime.fromtimestamp(decode_clock(op.clock)[0] / 1000, UTC)
        for window in batch.grace:
            if window.grid_id == grid_id and window.started_at <= recorded <= window.ended_at:
                return grid_id
    raise _Rejected("out_of_scope", f"{what} {_OUT_OF_SCOPE}")


def _may_read(batch: Batch, record_id: str, state: RecordState, grid_id: int) -> bool:
    """The one access rule (server.services.access) for a record as this batch has it now. ``grid_id`` is
    writable already — in scope, or in a reassignment grace window, which the rule counts as scope here."""
    stored = batch.records.get(record_id)
    creator = stored.created_by if stored is not None else batch.creators[record_id]
    facts = record_facts(record_type=state.type, grid_id=grid_id, created_by=creator, values=state.values())
    principal = batch.principal
    if grid_id not in principal.grid_ids:
        principal = dataclasses.replace(principal, grid_ids=principal.grid_ids | {grid_id})
    return may_read(principal, facts)


def _op_row(batch: Batch, op: Op, grid_id: int, entry: _Parsed) -> dict[str, object]:
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
        "body": entry.body,
        "digest": entry.digest,
        "received_at": datetime.now(UTC),
    }
