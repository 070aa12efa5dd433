"""转办 and 答复 recorded from the requests board: a step appended to the request's ``steps`` log, as an op
of the coordinator through push (``console_ops``), so the workflow's rules — who may record which step,
what a step must carry — are the declaration's, checked where every phone's steps are checked."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.console.services.console_ops import ConsoleChange, Written, record_change
from server.console.services.permissions import NotInScope
from server.models import RecordRow
from server.services.access import readable_records
from server.services.members import MemberError
from server.services.push import PushLimits
from sync import JSON

__all__ = ["assign_entry", "record_step", "reply_entry"]

MAX_TEXT = 2000
MAX_TO = 100


def assign_entry(*, to: str, to_member: int | None, notes: str) -> dict[str, JSON]:
    """转办: to a department (``to``, as written) or to a member (``to_member``), or both."""
    if not to and to_member is None:
        raise MemberError(
            "assign_needs_target", "转办 needs a department or a member to send the request to",
            "请填写转办给哪个部门，或选择一位成员",
        )  # fmt: skip
    entry: dict[str, JSON] = {"step": "assign"}
    if to:
        entry["to"] = to[:MAX_TO]
    if to_member is not None:
        entry["to_member"] = to_member
    if notes:
        entry["notes"] = notes[:MAX_TEXT]
    return entry


def reply_entry(*, notes: str) -> dict[str, JSON]:
    """答复: what was done or answered (the declaration requires ``notes``; empty is refused here)."""
    if not notes:
        raise MemberError("reply_needs_notes", "答复 needs the reply's text", "请填写答复内容")
    return {"step": "reply", "notes": notes[:MAX_TEXT]}


async def record_step(
    session: AsyncSession,
    principal: Principal,
    record_id: str,
    entry: dict[str, JSON],
    *,
    limits: PushLimits,
    now_ms: int,
    client: str | None,
) -> Written:
    """Append ``entry`` to the request's steps and return push's answer (:meth:`Written.check` it after
    the transaction); a request the caller may not read is "not found"."""
    row = await session.scalar(
        select(RecordRow).where(RecordRow.id == record_id, readable_records(principal))
    )
    if row is None or row.type != "request" or row.deleted:
        raise NotInScope("request")
    change = ConsoleChange(
        record=row.id, type="request", household=row.household_id, kind="append", log="steps", value=entry
    )
    return await record_change(session, principal, change, limits=limits, now_ms=now_ms, client=client)
