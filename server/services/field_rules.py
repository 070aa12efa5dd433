"""The field-work rules a phone needs to compute its Today list offline (issue 6 §2, §5, §6).

- the curtain round's morning deadline of each of the member's grids: its community's own
  (``Area.curtain_deadline``, set by coordinators) or ``LIANHU_CURTAIN_DEADLINE``;
- how many days a household of each care level may go without a visit (``LIANHU_VISIT_CADENCE_DAYS``).

The request deadlines (the 1-2-3 rule) are part of the record-type declaration itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.models import Area
from server.settings import Settings

__all__ = ["field_rules"]


async def field_rules(session: AsyncSession, grid_ids: Iterable[int], settings: Settings) -> dict[str, Any]:
    """``{"curtain_deadlines": {grid id: "HH:MM"}, "visit_cadence_days": {care level: days}}``."""
    community = aliased(Area)
    rows = await session.execute(
        select(Area.id, community.curtain_deadline)
        .join(community, community.id == Area.parent_id)
        .where(Area.id.in_(list(grid_ids)))
    )
    return {
        "curtain_deadlines": {str(grid_id): deadline or settings.curtain_deadline for grid_id, deadline in rows},
        "visit_cadence_days": settings.visit_cadence,
    }
