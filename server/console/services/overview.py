"""The console's first page: what is in the coordinator's scope and what waits for them.

Records are read through the one access rule (``server.services.access.readable_records``): the same
records the coordinator would pull, restricted ones only where they may read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.models import Area, Household, RecordRow
from server.services.access import readable_records

__all__ = ["RecentRecord", "recent_records", "record_counts"]


@dataclass(frozen=True)
class RecentRecord:
    id: str
    type: str
    grid: str
    address: str
    updated_at: datetime
    deleted: bool


async def record_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Record type → how many live (not deleted) records of it the coordinator may read."""
    rows = await session.execute(
        select(RecordRow.type, func.count())
        .where(readable_records(principal), RecordRow.deleted.is_(False))
        .group_by(RecordRow.type)
    )
    return {record_type: count for record_type, count in rows}


async def recent_records(
    session: AsyncSession, principal: Principal, *, limit: int = 20
) -> list[RecentRecord]:
    """The records most recently changed by a sync, newest first."""
    rows = await session.execute(
        select(
            RecordRow.id,
            RecordRow.type,
            Area.name,
            Household.address,
            RecordRow.updated_at,
            RecordRow.deleted,
        )
        .join(Area, Area.id == RecordRow.grid_id)
        .join(Household, Household.id == RecordRow.household_id)
        .where(readable_records(principal))
        .order_by(RecordRow.updated_seq.desc())
        .limit(limit)
    )
    return [RecentRecord(*row) for row in rows]
