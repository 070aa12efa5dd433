"""Pull: the ops after a cursor that the caller may see, one page at a time; or, for a device that has
nothing yet, a snapshot of the records' current states first (docs/sync-protocol.md §5, §5.1).

The cursor stands for the last ``seq`` the caller has been given. A page never reads past the log's
gap-free end (``server.services.log_end``): every op with a smaller ``seq`` has committed, so
``seq > cursor`` never skips. Restricted records (mediation notes) add two things per page: the earlier
ops of records the caller was just given access to, and the ids of records whose access was just taken
away (``drop``).

A snapshot reads that gap-free end first (``end``), then pages through the caller's readable records by
id, each as it stands when its page is read: with every op up to ``end`` in it, and maybe later ones. It
sends the open work first (tier 0: open records, households' own records and anything dated in the last
``OPEN_WORK_DAYS``), then the rest (tier 1, newest id first), and ends with an op cursor at ``end``: the
ops after it follow as usual, and those already in a state sent are merged again, which changes nothing
(§3.3). A record that changes during the snapshot may move between the tiers, so tier 1 also takes every
record written after ``end``: none falls between them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.errors import BadRequest
from server.models import OpRow, RecordAccess, RecordRow
from server.services.access import readable_ops, readable_records, reader_params
from server.services.cursors import SnapshotCursor
from server.services.log_end import visible_end
from server.services.records import op_text

__all__ = [
    "MAX_OPS_PER_PAGE",
    "MAX_PULL_LIMIT",
    "OPEN_WORK_DAYS",
    "PullPage",
    "SnapshotPage",
    "parse_limit",
    "parse_snapshot",
    "pull_ops",
    "snapshot_page",
    "start_snapshot",
]

MAX_PULL_LIMIT = 5000  # records of a snapshot page
MAX_OPS_PER_PAGE = 1000  # ops of an op page, whatever the limit
DEFAULT_PULL_LIMIT = 200
# Open work also holds the records dated in the last 31 days: this month's visits (本月已访) and the latest
# of each household. A household's last visit comes with its row (GET /api/households), so the overdue
# list is right before the history has come.
OPEN_WORK_DAYS = 31
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class PullPage:
    ops: list[str]  # each op as JSON text, as clients see it (server.services.records.op_text)
    records: int  # how many records the ops are of
    last_seq: int
    more: bool
    drop: list[str]


@dataclass(frozen=True)
class SnapshotPage:
    records: list[str]  # each record's state in the storage form (sync.state_to_storage), as stored
    next: SnapshotCursor | int  # where the snapshot goes on, or the op seq the ops go on after
    phase: str  # "open" (tier 0) or "history" (tier 1)
    next_phase: str  # what the next page holds: "open", "history" or "ops"
    total: int


def parse_snapshot(raw: str | None) -> bool:
    if raw is None or raw in ("", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    raise BadRequest("invalid_request", f"snapshot must be true or false, got {raw!r}", "请求参数无效")


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PULL_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PULL_LIMIT:
        raise BadRequest("invalid_limit", f"limit must be 1..{MAX_PULL_LIMIT}, got {raw!r}", "分页大小无效")
    return int(raw)


# An op page's statements, built once (for a coordinator, and for anyone else) and run with the caller's
# values (server.services.access.reader_params): building them anew for every pull cost more than the
# query.
_OP_COLUMNS = (OpRow.seq, OpRow.record_id, OpRow.author_id, OpRow.body)
_PAGE = {
    coordinator: select(*_OP_COLUMNS)
    .where(OpRow.seq > bindparam("after"), OpRow.seq <= bindparam("end"), readable_ops(coordinator))
    .order_by(OpRow.seq)
    .limit(bindparam("limit"))
    for coordinator in (False, True)
}
_EARLIER = {
    coordinator: select(*_OP_COLUMNS).where(
        OpRow.record_id.in_(bindparam("granted", expanding=True)),
        OpRow.seq <= bindparam("after"),
        readable_ops(coordinator),
    )
    for coordinator in (False, True)
}
_ACCESS_CHANGES = select(RecordAccess.record_id, RecordAccess.granted_seq, RecordAccess.revoked_seq).where(
    RecordAccess.member_id == bindparam("member"),
    or_(
        RecordAccess.granted_seq.between(bindparam("first"), bindparam("upto")),
        RecordAccess.revoked_seq.between(bindparam("first"), bindparam("upto")),
    ),
)


async def pull_ops(session: AsyncSession, principal: Principal, *, after: int, limit: int) -> PullPage:
    limit = min(limit, MAX_OPS_PER_PAGE)
    # Read the gap-free end of the log first (server.services.log_end): every op up to it has committed, so
    # the page query below, even under a newer snapshot (PostgreSQL READ COMMITTED), sees all of them.
    end = max(after, await visible_end(session))
    reader = reader_params(principal)
    coordinator = principal.is_coordinator
    rows = (
        await session.execute(_PAGE[coordinator], {"after": after, "end": end, "limit": limit + 1, **reader})
    ).all()
    more = len(rows) > limit
    page = list(rows[:limit])
    # Without more to read, the cursor moves to the end of the log, past ops the caller cannot see.
    last_seq = page[-1].seq if more else end
    granted, drop = await _access_changes(session, principal, after=after, upto=last_seq)
    if granted:
        earlier = await session.execute(_EARLIER[coordinator], {"granted": granted, "after": after, **reader})
        page = sorted([*earlier.all(), *page], key=lambda row: row.seq)
    return PullPage(
        ops=[op_text(row.body, row.author_id) for row in page],
        records=len({row.record_id for row in page}),
        last_seq=last_seq,
        more=more,
        drop=drop,
    )


async def _access_changes(
    session: AsyncSession, principal: Principal, *, after: int, upto: int
) -> tuple[list[str], list[str]]:
    if principal.is_coordinator:
        return [], []
    rows = (
        await session.execute(
            _ACCESS_CHANGES, {"member": principal.member_id, "first": after + 1, "upto": upto}
        )
    ).all()
    granted = [
        record_id for record_id, granted_seq, revoked in rows if revoked is None and granted_seq > after
    ]
    drop = [record_id for record_id, _, revoked in rows if revoked is not None and after < revoked <= upto]
    return granted, drop


async def start_snapshot(session: AsyncSession, principal: Principal, *, today: date) -> SnapshotCursor:
    """A snapshot that begins now: the end of the log first (see the module docstring), then the count."""
    end = await visible_end(session)
    total = int(
        await session.scalar(select(func.count()).select_from(RecordRow).where(readable_records(principal)))
        or 0
    )
    cutoff = (today - timedelta(days=OPEN_WORK_DAYS) - _EPOCH).days
    return SnapshotCursor(end=end, tier=0, cutoff=cutoff, total=total)


def _open_work(cutoff: int) -> ColumnElement[bool]:
    """Tier 0: not deleted, and open, or a household's own record, or dated on or after the cutoff."""
    day = (_EPOCH + timedelta(days=cutoff)).isoformat()
    return and_(
        RecordRow.deleted.is_(False),
        or_(
            RecordRow.closed.is_(False),
            RecordRow.type == "household",
            func.coalesce(RecordRow.record_date, "") >= day,
        ),
    )


async def snapshot_page(
    session: AsyncSession, principal: Principal, position: SnapshotCursor, *, limit: int
) -> SnapshotPage:
    """The next ``limit`` records of the snapshot at ``position``, and where it goes on."""
    open_work = _open_work(position.cutoff)
    query = select(RecordRow.id, RecordRow.state).where(readable_records(principal)).limit(limit + 1)
    if position.tier == 0:
        query = query.where(open_work).order_by(RecordRow.id)
        if position.last:
            query = query.where(RecordRow.id > position.last)
    else:
        query = query.where(or_(not_(open_work), RecordRow.updated_seq > position.end))
        query = query.order_by(RecordRow.id.desc())
        if position.last:
            query = query.where(RecordRow.id < position.last)
    rows = (await session.execute(query)).all()
    page = rows[:limit]
    following: SnapshotCursor | int
    if len(rows) > limit:
        following = replace(position, last=page[-1][0])
    elif position.tier == 0:
        following = replace(position, tier=1, last="")
    else:
        following = position.end
    next_phase = "ops" if isinstance(following, int) else "open" if following.tier == 0 else "history"
    return SnapshotPage(
        records=[state for _, state in page],
        next=following,
        phase="open" if position.tier == 0 else "history",
        next_phase=next_phase,
        total=position.total,
    )
