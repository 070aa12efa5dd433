"""Where the op log may safely be read up to: the gap-free end that pull cursors walk.

An op's ``seq`` is drawn when its push writes, but on PostgreSQL several pushes write at once (in one or
many server processes), so a push that drew seq 10 may commit after one that drew 11. A reader that moved
its cursor to 11 would then never see 10. So every push, while drawing its numbers under a short lock,
also takes a transaction-scoped advisory lock named after the first number it drew — its *in-flight
marker*, visible to everyone in ``pg_locks`` until the push commits or rolls back (protocol §5, the
cursor never skips; docs/architecture.md).

:func:`visible_end` is the greatest ``seq`` S such that every op with a smaller or equal seq has committed
or will never exist: the end of the committed log, but below the smallest in-flight marker. Reading the
committed end *before* the markers is what makes it safe: a number larger than an in-flight one can only
have been drawn after that marker was taken, and the marker is held until its push has committed.

On SQLite there is one writer at a time (``Store.write``), so the committed end is the answer.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import OpRow

__all__ = ["DRAW_LOCK_KEY", "MARKER_NAMESPACE", "draw_seqs", "mark_in_flight", "visible_end"]

# The short lock around drawing numbers: the same key as Store.write's advisory lock, so a serialized
# writer and the concurrent pushes never draw at the same time.
DRAW_LOCK_KEY = 0x6C69616E6875  # "lianhu"
# In-flight markers are two-key advisory locks (MARKER_NAMESPACE + seq // 2**31, seq % 2**31).
MARKER_NAMESPACE = 0x4C480000  # "LH" …
_SPAN = 2**31


async def mark_in_flight(session: AsyncSession, first_seq: int) -> None:
    """Hold the marker for a push whose numbers start at ``first_seq`` until its transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": MARKER_NAMESPACE + first_seq // _SPAN, "key": first_seq % _SPAN},
    )


async def draw_seqs(session: AsyncSession, count: int) -> list[int]:
    """``count`` sequence numbers for new ops, ascending — the only way ops get their numbers.

    SQLite has one writer at a time (``Store.write``): the next numbers after the committed end. On
    PostgreSQL several pushes write at once: the numbers are drawn under a short lock, which also takes
    the writer's in-flight marker before anyone else can draw more.
    """
    if session.get_bind().dialect.name != "postgresql":
        last = int(await session.scalar(select(func.coalesce(func.max(OpRow.seq), 0))) or 0)
        return list(range(last + 1, last + 1 + count))
    await session.execute(text("SELECT pg_advisory_lock(:key)"), {"key": DRAW_LOCK_KEY})
    try:
        drawn = await session.scalars(
            text("SELECT nextval(pg_get_serial_sequence('ops', 'seq')) FROM generate_series(1, :n)"),
            {"n": count},
        )
        seqs = sorted(drawn.all())
        await mark_in_flight(session, seqs[0])
    finally:
        await session.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": DRAW_LOCK_KEY})
    return seqs


async def visible_end(session: AsyncSession) -> int:
    """The gap-free end of the op log for a reader now (0 for an empty log)."""
    end = int(await session.scalar(select(func.coalesce(func.max(OpRow.seq), 0))) or 0)
    if session.get_bind().dialect.name != "postgresql":
        return end
    in_flight = await session.scalar(
        text(
            "SELECT min((classid::bigint - :space) * :span + objid::bigint) FROM pg_locks"
            " WHERE locktype = 'advisory' AND objsubid = 2 AND granted"
            " AND classid::bigint >= :space AND classid::bigint < :space + 1024"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"space": MARKER_NAMESPACE, "span": _SPAN},
    )
    return end if in_flight is None else min(end, int(in_flight) - 1)
