"""Pull: the ops after a cursor that the caller may see, one page at a time.

The cursor is the last ``seq`` the caller has been given. Because writers are serialized (``server.db``),
every op with a smaller ``seq`` than a visible one is already visible, so ``seq > cursor`` never skips.
Cursors are opaque to clients; today they are the decimal ``seq`` with a version prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.errors import BadRequest
from server.models import OpRow
from server.services.records import op_json

__all__ = ["MAX_PULL_LIMIT", "PullPage", "decode_cursor", "encode_cursor", "pull_ops"]

MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 200
_PREFIX = "v1."


@dataclass(frozen=True)
class PullPage:
    ops: list[dict[str, Any]]
    cursor: str
    more: bool


def encode_cursor(seq: int) -> str:
    return f"{_PREFIX}{seq}"


def decode_cursor(cursor: str | None) -> int:
    """``None`` or ``""`` → 0 (from the start); raise ``invalid_cursor`` for anything not ours."""
    if not cursor:
        return 0
    digits = cursor.removeprefix(_PREFIX)
    if cursor == digits or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise BadRequest("invalid_cursor", f"cursor {cursor!r} was not issued by this server", "同步游标无效")
    return int(digits)


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PULL_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PULL_LIMIT:
        raise BadRequest("invalid_limit", f"limit must be 1..{MAX_PULL_LIMIT}, got {raw!r}", "分页大小无效")
    return int(raw)


async def pull_ops(session: AsyncSession, principal: Principal, *, after: int, limit: int) -> PullPage:
    rows = (
        await session.scalars(
            select(OpRow)
            .where(OpRow.seq > after, OpRow.grid_id.in_(principal.grid_ids))
            .order_by(OpRow.seq)
            .limit(limit + 1)
        )
    ).all()
    page = rows[:limit]
    last = page[-1].seq if page else after
    return PullPage(ops=[op_json(row) for row in page], cursor=encode_cursor(last), more=len(rows) > limit)
