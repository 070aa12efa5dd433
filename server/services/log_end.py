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

__all__ = ["DRAW_LOCK_KEY", "MARKER_NAMESPACE", "draw_seqs", "visible_end"]

# The short lock around drawing numbers: the same key as Store.write's advisory lock, so a serialized
# writer and the concurrent pushes never draw at the same time.
DRAW_LOCK_KEY = 0x6C69616E6875  # "lianhu"
# In-flight markers are two-key advisory locks (MARKER_NAMESPACE + seq // 2**31, seq % 2**31).
MARKER_NAMESPACE = 0x4C480000  # "LH" …
_SPAN = 2**31


async def draw_seqs(session: AsyncSession, count: int) -> list[int]:
    """``count`` sequence numbers for new ops, ascending — the only way ops get their numbers.

    SQLite has one writer at a time (``Store.write``): the next numbers after the committed end. On
    PostgreSQL several pushes write at once: the numbers are drawn under a short lock (``DRAW_LOCK_KEY``),
    which also takes the writer's in-flight marker — a transaction-scoped lock on its first number, held
    until it commits — before anyone else can draw more. The database function ``lianhu_draw_seqs``
    (migration ``0014_draw_seqs_function``) does those steps in one round trip.
    """
    if session.get_bind().dialect.name != "postgresql":
        last = int(await session.scalar(select(func.coalesce(func.max(OpRow.seq), 0))) or 0)
        return list(range(last + 1, last + 1 + count))
    drawn = await session.scalars(
        text("SELECT lianhu_draw_seqs(:n, :draw_key, :space, :span)"),
        {"n": count, "draw_key": DRAW_LOCK_KEY, "space": MARKER_NAMESPACE, "span": _SPAN},
    )
    return sorted(drawn.all())


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
