"""Households a member may see (those in their grids)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.models import Area, Household

__all__ = ["list_households"]


async def list_households(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Household, Area.name)
        .join(Area, Area.id == Household.grid_id)
        .where(Household.grid_id.in_(principal.grid_ids))
        .order_by(Household.grid_id, Household.building, Household.unit, Household.room)
    )
    return [
        {
            "id": household.id,
            "grid": {"id": household.grid_id, "name": grid_name},
            "address": household.address,
            "building": household.building,
            "unit": household.unit,
            "room": household.room,
            "head": household.head_name,
            "phone": household.phone,
            "tags": household.tags,
            "care_level": household.care_level,
        }
        for household, grid_name in rows
    ]
