"""Page 1, synced records: one list across types, filtered, sorted and paged by keyset (issue 7).

Every query reads plain columns of ``records`` (``server.domain.indexing``), never a record's state, and is
scoped by the one access rule, :func:`server.services.access.readable_records`. Pages are keyset pages:
the cursor is the sort key of the row a page ended on, and the next page asks for the rows after it, so
page 5,000 costs what page 1 costs (an index range, not ``OFFSET`` rows skipped).

Sorts (newest first):

- ``date`` — the day a record is about (``record_date``), then its id. Records without a day (household
  edits) come after every dated one, ordered by id: the sort is two *segments*, and a cursor says which
  segment it is in, so the ``NULL`` dates never enter a row-value comparison.
- ``changed`` — the last change that reached the server (``updated_seq``: unique, every op has its own).

The indexes these queries use are in migration ``0007_console_indexes`` (docs/console.md, "Page 1").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from server.auth.principal import Principal
from server.console.services.masking import Masking
from server.domain.record_types import RECORD_TYPES
from server.models import Area, AreaLevel, Household, Member, OpRow, RecordRow
from server.services.access import readable_records

__all__ = [
    "COUNT_CAP",
    "LIST_COLUMNS",
    "PAGE_SIZE",
    "SORTS",
    "STATUSES",
    "ListedRecord",
    "RecordFilter",
    "RecordPage",
    "RowNames",
    "count_records",
    "filter_from_params",
    "list_records",
    "record_rows",
    "row_names",
]

PAGE_SIZE: Final = 50
COUNT_CAP: Final = 1_000  # beyond this a list says "more than 1,000": counting is what a page costs most
SORTS: Final = ("date", "changed")
STATUSES: Final = ("", "open", "closed", "deleted")


@dataclass(frozen=True)
class RecordFilter:
    """What the coordinator asked for. Empty values mean "any"."""

    area: int | None = None
    member: int | None = None
    touched: bool = False  # the member wrote any op of the record, not only created it
    type: str | None = None
    stage: str | None = None
    status: str = ""  # "": live records; "open" / "closed": live and (not) closed; "deleted"
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "date"

    def params(self) -> list[tuple[str, str]]:
        """The filter as query parameters (for links, exports and the audit log), empty ones left out."""
        pairs = [
            ("area", self.area), ("member", self.member), ("touched", "1" if self.touched else None),
            ("type", self.type), ("stage", self.stage), ("status", self.status or None),
            ("from", self.date_from), ("to", self.date_to),
            ("sort", None if self.sort == "date" else self.sort),
        ]  # fmt: skip
        return [(name, str(value)) for name, value in pairs if value is not None and value != ""]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 12 else None


def _day(value: str | None) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def filter_from_params(params: Mapping[str, str]) -> RecordFilter:
    """A filter from query parameters; what cannot be read is left out rather than refused."""
    record_type = params.get("type") or None
    status = params.get("status", "")
    sort = params.get("sort", "date")
    return RecordFilter(
        area=_int(params.get("area")), member=_int(params.get("member")),
        touched=params.get("touched") == "1",
        type=record_type if record_type in RECORD_TYPES else None, stage=(params.get("stage") or None),
        status=status if status in STATUSES else "", date_from=_day(params.get("from")),
        date_to=_day(params.get("to")), sort=sort if sort in SORTS else "date",
    )  # fmt: skip


@dataclass(frozen=True)
class ListedRecord:
    id: str
    type: str
    record_date: str | None
    stage: str | None
    closed: bool
    deleted: bool
    restricted: bool
    summary: str
    household_id: str
    grid_id: int
    grid: str
    address: str
    head: str
    phone: str | None
    created_by: int
    creator: str
    updater: str
    updated_at: datetime
    started_ms: int | None


@dataclass(frozen=True)
class RecordPage:
    rows: list[ListedRecord]
    next_cursor: str | None  # the rows after this page, if any
    prev_cursor: str | None  # the rows before it, if any


# ---- filtering -------------------------------------------------------------------------------------------


async def _area_clause(session: AsyncSession, area_id: int) -> ColumnElement[bool]:
    area = await session.get(Area, area_id)
    if area is None:
        return RecordRow.grid_id.is_(None)  # no such area: nothing
    if area.level == AreaLevel.GRID:
        return RecordRow.grid_id == area_id
    if area.level == AreaLevel.COMMUNITY:
        return RecordRow.community_id == area_id
    communities = select(Area.id).where(Area.parent_id == area_id).scalar_subquery()
    return RecordRow.community_id.in_(communities)


async def _conditions(
    session: AsyncSession, principal: Principal, wanted: RecordFilter
) -> list[ColumnElement[bool]]:
    found = [readable_records(principal), RecordRow.deleted.is_(wanted.status == "deleted")]
    if wanted.status in ("open", "closed"):
        found.append(RecordRow.closed.is_(wanted.status == "closed"))
    if wanted.area is not None:
        found.append(await _area_clause(session, wanted.area))
    if wanted.type is not None:
        found.append(RecordRow.type == wanted.type)
    if wanted.stage is not None:
        found.append(RecordRow.stage == wanted.stage)
    if wanted.member is not None and wanted.touched:
        found.append(RecordRow.id.in_(select(OpRow.record_id).where(OpRow.author_id == wanted.member)))
    elif wanted.member is not None:
        found.append(RecordRow.created_by == wanted.member)
    if wanted.date_from is not None:
        found.append(RecordRow.record_date >= wanted.date_from)
    if wanted.date_to is not None:
        found.append(RecordRow.record_date <= wanted.date_to)
    return found


# ---- keyset ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    where: ColumnElement[bool]
    keys: tuple[InstrumentedAttribute[Any], ...]  # descending


def _segments(wanted: RecordFilter) -> list[_Segment]:
    if wanted.sort == "changed":
        return [_Segment(true(), (RecordRow.updated_seq,))]
    dated = _Segment(RecordRow.record_date.is_not(None), (RecordRow.record_date, RecordRow.id))
    if wanted.date_from or wanted.date_to:
        return [dated]
    return [dated, _Segment(RecordRow.record_date.is_(None), (RecordRow.id,))]


@dataclass(frozen=True)
class _Cursor:
    segment: int
    key: tuple[Any, ...]


def _encode(cursor: _Cursor) -> str:
    raw = json.dumps([cursor.segment, *cursor.key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str | None, segments: Sequence[_Segment]) -> _Cursor | None:
    """The cursor, or None (the first page) for anything that is not one of ours for this sort."""
    if not text or len(text) > 200:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(value, list) or not value or type(value[0]) is not int:
        return None
    segment, key = value[0], tuple(value[1:])
    if not 0 <= segment < len(segments) or len(key) != len(segments[segment].keys):
        return None
    kinds = [int if column.key == "updated_seq" else str for column in segments[segment].keys]
    if not all(type(part) is kind for part, kind in zip(key, kinds, strict=True)):
        return None
    return _Cursor(segment, key)


def _key_of(row: RecordRow | Any, segment: _Segment) -> tuple[Any, ...]:
    return tuple(getattr(row, column.key) for column in segment.keys)


def _beyond(segment: _Segment, key: tuple[Any, ...], *, forward: bool) -> ColumnElement[bool]:
    columns = segment.keys
    if len(columns) == 1:
        single: ColumnElement[bool] = columns[0] < key[0] if forward else columns[0] > key[0]
        return single
    row, value = tuple_(*columns), tuple_(*key)
    return row < value if forward else row > value


LIST_COLUMNS = (
    RecordRow.id, RecordRow.type, RecordRow.record_date, RecordRow.stage, RecordRow.closed,
    RecordRow.deleted, RecordRow.restricted, RecordRow.summary, RecordRow.household_id, RecordRow.grid_id,
    RecordRow.created_by, RecordRow.updated_by, RecordRow.updated_at, RecordRow.updated_seq,
    RecordRow.started_ms,
)  # fmt: skip


async def _walk(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    segments: list[_Segment],
    cursor: _Cursor | None,
    *,
    limit: int,
    forward: bool,
    columns: Sequence[Any] = LIST_COLUMNS,
) -> list[tuple[int, Any]]:
    """Up to ``limit`` rows after (``forward``) or before ``cursor`` in sort order, each with its segment,
    in the order walked (so: reversed when walking backwards)."""
    found: list[tuple[int, Any]] = []
    if forward:
        order = range(cursor.segment if cursor else 0, len(segments))
    else:
        order = range(cursor.segment if cursor else len(segments) - 1, -1, -1)
    for index in order:
        segment = segments[index]
        where = [*conditions, segment.where]
        if cursor is not None and index == cursor.segment:
            where.append(_beyond(segment, cursor.key, forward=forward))
        keys = [column.desc() if forward else column.asc() for column in segment.keys]
        query: Select[Any] = select(*columns).where(and_(*where)).order_by(*keys).limit(limit - len(found))
        found.extend((index, row) for row in await session.execute(query))
        if len(found) >= limit:
            break
    return found


async def record_rows(
    session: AsyncSession,
    principal: Principal,
    wanted: RecordFilter,
    *,
    after: str | None = None,
    limit: int,
    columns: Sequence[Any] = LIST_COLUMNS,
) -> tuple[list[Any], str | None]:
    """Up to ``limit`` rows of ``columns`` (which must include the sort keys) after cursor ``after``, and
    the cursor of the last one if more may follow (for exports, which walk the whole list)."""
    segments = _segments(wanted)
    conditions = await _conditions(session, principal, wanted)
    walked = await _walk(
        session, conditions, segments, _decode(after, segments), limit=limit, forward=True, columns=columns
    )
    if len(walked) < limit:
        return [row for _, row in walked], None
    index, last = walked[-1]
    return [row for _, row in walked], _encode(_Cursor(index, _key_of(last, segments[index])))


async def list_records(
    session: AsyncSession,
    principal: Principal,
    wanted: RecordFilter,
    masking: Masking,
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> RecordPage:
    """One page of the list: after cursor ``after``, or before cursor ``before``, or the first page; phone
    numbers shown as ``masking`` says."""
    segments = _segments(wanted)
    conditions = await _conditions(session, principal, wanted)
    backward = _decode(before, segments)
    forward = None if backward else _decode(after, segments)
    walked: list[tuple[int, Any]] = []
    if backward is not None:
        walked = await _walk(session, conditions, segments, backward, limit=size + 1, forward=False)
        more_before = len(walked) > size
        walked = walked[:size][::-1]
        more_after = True
    if not walked:  # no cursor, a forward one, or nothing before the backward one: from the cursor or the top
        walked = await _walk(session, conditions, segments, forward, limit=size + 1, forward=True)
        more_after = len(walked) > size
        walked = walked[:size]
        more_before = forward is not None
    rows = await _described(session, [row for _, row in walked], masking)
    first = _encode(_Cursor(walked[0][0], _key_of(walked[0][1], segments[walked[0][0]]))) if walked else None
    last = (
        _encode(_Cursor(walked[-1][0], _key_of(walked[-1][1], segments[walked[-1][0]]))) if walked else None
    )
    return RecordPage(
        rows, last if more_after and walked else None, first if more_before and walked else None
    )


async def count_records(
    session: AsyncSession, principal: Principal, wanted: RecordFilter, *, cap: int | None = COUNT_CAP
) -> int:
    """How many records match, counting at most ``cap`` + 1 (a list shows "more than ``cap``")."""
    conditions = await _conditions(session, principal, wanted)
    inner = select(RecordRow.id).where(and_(*conditions))
    if cap is not None:
        inner = inner.limit(cap + 1)
    return int(await session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


# ---- what a row shows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowNames:
    """What a batch of record rows shows besides the rows: households (address, head, phone), grid names and
    member names, by id."""

    households: Mapping[str, Any]
    grids: Mapping[int, str]
    members: Mapping[int, str]


async def row_names(session: AsyncSession, rows: Sequence[Any], more_members: Iterable[int] = ()) -> RowNames:
    """Three small lookups by id for ``rows`` (the records list's page, a ledger's batch): their households,
    their grids, and the members who created or last changed them, and ``more_members``."""
    households = {
        row.id: row
        for row in await session.execute(
            select(Household.id, Household.address, Household.head_name, Household.phone).where(
                Household.id.in_({row.household_id for row in rows})
            )
        )
    }
    grid_query = select(Area.id, Area.name).where(Area.id.in_({r.grid_id for r in rows}))
    grids = {grid_id: name for grid_id, name in await session.execute(grid_query)}
    member_ids = {row.created_by for row in rows} | {row.updated_by for row in rows if row.updated_by}
    member_ids |= set(more_members)
    names = {
        key: value
        for key, value in await session.execute(
            select(Member.id, Member.name).where(Member.id.in_(member_ids))
        )
    }
    return RowNames(households, grids, names)


async def _described(session: AsyncSession, rows: Sequence[Any], masking: Masking) -> list[ListedRecord]:
    """The page's rows with their household, grid and member names."""
    looked_up = await row_names(session, rows)
    households, grids, names = looked_up.households, looked_up.grids, looked_up.members
    listed = []
    for row in rows:
        household = households.get(row.household_id)
        listed.append(
            ListedRecord(
                id=row.id, type=row.type, record_date=row.record_date, stage=row.stage, closed=row.closed,
                deleted=row.deleted, restricted=row.restricted, summary=masking.text(row.summary),
                household_id=row.household_id, grid_id=row.grid_id, grid=grids.get(row.grid_id, ""),
                address=household.address if household else "", head=household.head_name if household else "",
                phone=masking.phone(household.phone) if household else None, created_by=row.created_by,
                creator=names.get(row.created_by, ""), updater=names.get(row.updated_by or 0, ""),
                updated_at=row.updated_at, started_ms=row.started_ms,
            )
        )  # fmt: skip
    return listed
