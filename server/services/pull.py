"""Pull: the ops after a cursor that the caller may see, one page at a time.

The cursor stands for the last ``seq`` the caller has been given. A page never reads past the log's
gap-free end (``server.services.log_end``): every op with a smaller ``seq`` has committed, so
``seq > cursor`` never skips. Restricted records (mediation notes) add two things per page: the earlier
ops of records the caller was just given access to, and the ids of records whose access was just taken
away (``drop``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.errors import BadRequest
from server.models import OpRow, RecordAccess
from server.services.access import readable_ops
from server.services.log_end import visible_end
from server.services.records import op_json

__all__ = ["MAX_PULL_LIMIT", "PullPage", "parse_limit", "pull_ops"]

MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 200


@dataclass(frozen=True)
class PullPage:
    ops: list[dict[str, Any]]
    last_seq: int
    more: bool
    drop: list[str]


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PULL_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PULL_LIMIT:
        raise BadRequest("invalid_limit", f"limit must be 1..{MAX_PULL_LIMIT}, got {raw!r}", "分页大小无效")
    return int(raw)


async def pull_ops(session: AsyncSession, principal: Principal, *, after: int, limit: int) -> PullPage:
    # Read the gap-free end of the log first (server.services.log_end): every op up to it has committed, so
    # the page query below, even under a newer snapshot (PostgreSQL READ COMMITTED), sees all of them.
    end = max(after, await visible_end(session))
    rows = (
        await session.scalars(
            select(OpRow)
            .where(OpRow.seq > after, OpRow.seq <= end, readable_ops(principal))
            .order_by(OpRow.seq)
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    page = list(rows[:limit])
    # Without more to read, the cursor moves to the end of the log, past ops the caller cannot see.
    last_seq = page[-1].seq if more else end
    granted, drop = await _access_changes(session, principal, after=after, upto=last_seq)
    if granted:
        earlier = await session.scalars(
            select(OpRow).where(OpRow.record_id.in_(granted), OpRow.seq <= after, readable_ops(principal))
        )
        page = sorted([*earlier.all(), *page], key=lambda row: row.seq)
    return PullPage(ops=[op_json(row) for row in page], last_seq=last_seq, more=more, drop=drop)


async def _access_changes(
    session: AsyncSession, principal: Principal, *, after: int, upto: int
) -> tuple[list[str], list[str]]:
    if principal.is_coordinator:
        return [], []
    rows = (
        await session.execute(
            select(RecordAccess.record_id, RecordAccess.granted_seq, RecordAccess.revoked_seq).where(
                RecordAccess.member_id == principal.member_id,
                or_(
                    RecordAccess.granted_seq.between(after + 1, upto),
                    RecordAccess.revoked_seq.between(after + 1, upto),
                ),
            )
        )
    ).all()
    granted = [
        record_id for record_id, granted_seq, revoked in rows if revoked is None and granted_seq > after
    ]
    drop = [record_id for record_id, _, revoked in rows if revoked is not None and after < revoked <= upto]
    return granted, drop
