"""Coordinators' writes from the console, as ops through push (issue 7): one way into the store.

A console form (转办, 答复, a household's curtain round) becomes one op, stamped here and handed to
:func:`server.services.push.push_ops` with the coordinator's own principal, so every rule a phone meets —
roles per workflow step, leaders-only fields, scope, merge, index, projections, the audit of rejections —
applies unchanged, and the op log says who (author), from which device (replica) and when (clock).

Stamping (docs/console.md, "Console writes"):

- **replica** = the device of the coordinator's console session (push refuses any other: it must be one of
  the member's devices, not revoked);
- **clock** = a hybrid logical clock (``sync.HybridClock``, Kulkarni et al. 2014) for that replica,
  seeded from the greatest clock the op log holds for it, then made to *observe* the greatest clock of the
  record being changed, then ticked at the server's time. So a console stamp is greater than every stored
  op of that replica (stamps only grow) and than everything the coordinator saw on the record (a 答复 sorts
  after the 转办 it answers even when a phone's clock ran ahead). The seed is read in the push's own
  transaction (``Store.write_ops``); two console writes of one coordinator at the same instant may draw the
  same stamp on PostgreSQL (pushes run concurrently there), and are then ordered by op id like any tie.

The same browser's app may stamp ops for the same replica with its own clock, unsynced. Nothing breaks:
the protocol's total order is (clock, replica, op id) and op ids are fresh UUIDv7s, so any two ops are
ordered even if their clocks tie; merges use only that order. Causality still holds in both directions:
the console observes every stored op of the replica before stamping, and the app observes every clock it
pulls (``pwa/js/sync-client.js``), the console's included, before its next stamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.models import OpRow
from server.services.members import MemberError
from server.services.push import PushLimits, PushResult, push_ops
from server.settings import Settings
from sync import JSON, ClockError, HybridClock, decode_clock, uuid7

__all__ = ["ConsoleChange", "ConsoleOpRefused", "Written", "limits_of", "next_clock", "record_change"]

_STATUS = {"out_of_scope": 404, "step_not_allowed": 403, "field_not_allowed": 403, "replica_mismatch": 403}


@dataclass(frozen=True)
class ConsoleChange:
    """One change a console form makes: a ``set`` of ``fields`` or an ``append`` of ``value`` to ``log``."""

    record: str
    type: str
    household: str
    kind: Literal["set", "append"]
    fields: dict[str, JSON] = field(default_factory=dict)
    log: str = ""
    value: JSON = None


class ConsoleOpRefused(MemberError):
    """Push rejected the op; ``code`` is push's own (docs/sync-protocol.md §4)."""

    def __init__(self, result: PushResult) -> None:
        code = result.code or "rejected"
        super().__init__(
            "not_found" if code == "out_of_scope" else code,
            result.message or code,
            result.message_zh or "未能保存",
        )
        self.status_code = _STATUS.get(code, 400)
        self.push_code = code


@dataclass(frozen=True)
class Written:
    """What push answered for a console op. A rejection is not raised inside the write transaction, so
    that push's audit of it (``op_rejected``) commits as it does for a phone; call :meth:`check` after."""

    op: dict[str, JSON]
    result: PushResult

    def check(self) -> None:
        """Raise :class:`ConsoleOpRefused` if push rejected the op."""
        if self.result.status != "accepted":
            raise ConsoleOpRefused(self.result)


def limits_of(settings: Settings) -> PushLimits:
    return PushLimits(
        max_op_bytes=settings.max_op_bytes,
        max_clock_ahead_ms=settings.max_clock_ahead_seconds * 1000,
        grace_days=settings.reassignment_grace_days,
    )


async def next_clock(
    session: AsyncSession, *, replica: str, record: str, now_ms: int, max_drift_ms: int
) -> str:
    """The stamp of the next op ``replica`` makes on ``record`` at server time ``now_ms`` (see above)."""
    mine = await session.scalar(select(func.max(OpRow.clock)).where(OpRow.replica == replica))
    seen = await session.scalar(select(func.max(OpRow.clock)).where(OpRow.record_id == record))
    wall, counter = decode_clock(mine) if mine else (0, 0)
    clock = HybridClock(replica, wall=wall, counter=counter, max_drift_ms=max_drift_ms)
    if seen:
        clock.observe(seen, now_ms)
    return clock.now(now_ms)


async def record_change(
    session: AsyncSession,
    principal: Principal,
    change: ConsoleChange,
    *,
    limits: PushLimits,
    now_ms: int,
    client: str | None = None,
) -> Written:
    """Push ``change`` as one op of ``principal`` inside the caller's ``store.write_ops()`` transaction, and
    return the op with push's answer; the caller calls :meth:`Written.check` once the transaction is over."""
    try:
        stamp = await next_clock(
            session, replica=principal.device_id, record=change.record, now_ms=now_ms,
            max_drift_ms=limits.max_clock_ahead_ms,
        )  # fmt: skip
    except ClockError as error:
        raise ConsoleOpRefused(PushResult(None, "rejected", "clock_ahead", error.message)) from None
    op: dict[str, JSON] = {
        "id": uuid7(now_ms),
        "record": change.record,
        "type": change.type,
        "household": change.household,
        "clock": stamp,
        "replica": principal.device_id,
        "kind": change.kind,
    }
    if change.kind == "set":
        op["fields"] = change.fields
    else:
        op["field"], op["value"] = change.log, change.value
    (result,) = await push_ops(session, principal, [op], limits=limits, now_ms=now_ms, client=client)
    return Written(op, result)
