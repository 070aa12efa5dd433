"""Keeping the index columns of ``records`` (server.domain.indexing) current.

Push calls :func:`set_index` for every record it stores, in its transaction. ``lianhu db upgrade`` calls
:func:`index_missing` after migrating, for rows written before the columns existed (``started_ms`` null),
``lianhu db reindex`` recomputes every row from its stored state (after a change of an index rule), and
``lianhu db rebuild-records`` (:func:`rebuild_from_log`) first replays each record's state from the op log,
the source of truth, then does the same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.indexing import EVENT_TYPES, record_index, request_facts, work_events
from server.models import Area, Household, OpRow, RecordRow, RequestFacts, WorkEvent
from sync import Op, RecordState, apply_ops, parse_op

__all__ = [
    "community_of_grids",
    "events_missing",
    "index_missing",
    "rebuild_from_log",
    "recount_last_visits",
    "reindex_all",
    "set_index",
    "set_projections",
]

BATCH = 500


def set_index(row: RecordRow, state: RecordState, community_id: int | None) -> None:
    index = record_index(state, known_start=row.started_ms)
    row.community_id = community_id
    row.record_date = index.record_date
    row.stage = index.stage
    row.closed = index.closed
    row.due_ms = index.due_ms
    row.started_ms = index.started_ms
    row.updated_by = index.updated_by
    row.summary = index.summary


async def set_projections(session: AsyncSession, row: RecordRow, state: RecordState) -> None:
    """Per-type projections of a record whose index was just set: a request's facts, a household's
    latest visit. Call after the row is flushed (request_facts refers to it). An erased record has none."""
    if state.is_erased:
        return
    if state.type in EVENT_TYPES:
        await session.execute(delete(WorkEvent).where(WorkEvent.record_id == row.id))
        for event in work_events(state, row.record_date):
            session.add(WorkEvent(record_id=row.id, grid_id=row.grid_id, **event))
    if state.type == "request":
        start = row.started_ms if row.started_ms is not None else 0
        await session.merge(RequestFacts(record_id=row.id, **request_facts(state, start=start)))
    elif state.type == "visit":
        await recount_last_visits(session, {state.household})


async def recount_last_visits(session: AsyncSession, household_ids: Iterable[str]) -> None:
    """Set each household's ``last_visit`` again from its records: the latest day of a visit that found
    someone home (not 未遇, not deleted). For when a visit may have gone back in time or away (an edit, an
    erasure); a newer visit only moves it forward, which push does in one statement."""
    for household_id in sorted(household_ids):
        latest = (
            select(func.max(RecordRow.record_date))
            .where(RecordRow.household_id == household_id, RecordRow.type == "visit")
            .where(RecordRow.stage == "visited")
            .scalar_subquery()
        )
        await session.execute(update(Household).where(Household.id == household_id).values(last_visit=latest))


async def community_of_grids(session: AsyncSession, grid_ids: Iterable[int]) -> Mapping[int, int | None]:
    rows = await session.execute(select(Area.id, Area.parent_id).where(Area.id.in_(list(grid_ids))))
    return {grid_id: parent for grid_id, parent in rows}


async def _logged_ops(session: AsyncSession, record_ids: list[str]) -> dict[str, tuple[list[Op], int]]:
    """Each record's ops from the op log, in log order, with their authors, and its last ``seq``."""
    found: dict[str, list[Op]] = defaultdict(list)
    last: dict[str, int] = {}
    rows = await session.execute(
        select(OpRow.record_id, OpRow.body, OpRow.author_id, OpRow.seq)
        .where(OpRow.record_id.in_(record_ids))
        .order_by(OpRow.seq)
    )
    for record_id, body, author, seq in rows:
        found[record_id].append(
            parse_op({**json.loads(body), "author": author}, allow_author=True, allow_nul=True)
        )
        last[record_id] = seq
    return {record_id: (ops, last[record_id]) for record_id, ops in found.items()}


async def _reindex(session: AsyncSession, *, only_missing: bool, from_log: bool = False) -> int:
    # records imports access, which imports models; households imports cursors
    from server.services.households import project_household
    from server.services.records import load_state, store_state

    done, after = 0, ""
    while True:
        query = select(RecordRow).where(RecordRow.id > after).order_by(RecordRow.id).limit(BATCH)
        if only_missing:
            query = query.where(RecordRow.started_ms.is_(None))
        rows = (await session.scalars(query)).all()
        if not rows:
            return done
        communities = await community_of_grids(session, {row.grid_id for row in rows})
        logged = await _logged_ops(session, [row.id for row in rows]) if from_log else {}
        for row in rows:
            if row.id in logged:  # the log is the truth: the state is what its ops make, merged afresh
                ops, last_seq = logged[row.id]
                store_state(row, apply_ops(None, ops), last_seq)
            state = load_state(row)
            set_index(row, state, communities.get(row.grid_id))
            await session.flush()
            await set_projections(session, row, state)
            if from_log and state.type == "household" and not state.is_erased:
                await project_household(session, state.household, state.values(), row.updated_seq)
        done += len(rows)
        after = rows[-1].id


async def events_missing(session: AsyncSession) -> int:
    """Derive the work events of every record that can hold some, when the table is still empty (the
    records were written before it existed); return how many records were read."""
    if await session.scalar(select(func.count()).select_from(WorkEvent)):
        return 0
    done = 0
    rows = await session.scalars(select(RecordRow).where(RecordRow.type.in_(EVENT_TYPES)))
    for row in rows.all():
        from server.services.records import load_state  # records imports access, which imports models

        await set_projections(session, row, load_state(row))
        done += 1
    return done


async def index_missing(session: AsyncSession) -> int:
    """Index the records that have never been indexed; return how many."""
    return await _reindex(session, only_missing=True)


async def reindex_all(session: AsyncSession) -> int:
    """Recompute the index columns of every record; return how many."""
    return await _reindex(session, only_missing=False)


async def rebuild_from_log(session: AsyncSession) -> int:
    """Rebuild every record from the op log: its state replayed from its ops (``sync.apply_ops``), then
    its index columns and projections (request facts, work events, a household's last visit and facts),
    as push keeps them in its transaction. ``record_access`` (since which op each reader of a restricted
    record may read it, which pull's grants and drops follow) is left as it is. Returns how many records."""
    return await _reindex(session, only_missing=False, from_log=True)
