"""Households: what a member's phone downloads, and the projection of each household's own record.

A household's facts (head, phone, residents, tags, care level, 三要有 dates, curtain round, linked members)
start from the register (demo data or an import) and are corrected at the door through the ``household``
record type — field by field, merged like any record. Every op on such a record updates the ``households``
row in the same transaction (:func:`project_household`), so the list below is always the merged truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.models import Area, Household
from sync import JSON

__all__ = ["HOUSEHOLD_COLUMNS", "household_json", "list_households", "project_household"]

# household record field -> households column (the same name unless said here)
HOUSEHOLD_COLUMNS: Mapping[str, str] = {
    name: {"head": "head_name"}.get(name, name)
    for name in (
        "head", "phone", "residents", "tags", "care_level", "contact_card", "info_sheet", "health", "income",
        "emergency_contact", "curtain_round", "covered_by",
    )
}  # fmt: skip


def household_json(household: Household, grid_name: str) -> dict[str, Any]:
    """A household as the API shows it (docs/sync-protocol.md §8)."""
    return {
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
        "residents": household.residents,
        "contact_card": household.contact_card,
        "info_sheet": household.info_sheet,
        "health": household.health,
        "income": household.income,
        "emergency_contact": household.emergency_contact,
        "curtain_round": household.curtain_round,
        "covered_by": household.covered_by,
    }


async def list_households(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Household, Area.name)
        .join(Area, Area.id == Household.grid_id)
        .where(Household.grid_id.in_(principal.grid_ids))
        .order_by(Household.grid_id, Household.building, Household.unit, Household.room)
    )
    return [household_json(household, grid_name) for household, grid_name in rows]


async def project_household(
    session: AsyncSession, household_id: str, values: Mapping[str, JSON], seq: int
) -> None:
    """Copy the merged values of a household's record onto its row (fields never written keep theirs)."""
    changes: dict[str, Any] = {
        HOUSEHOLD_COLUMNS[name]: value for name, value in values.items() if name in HOUSEHOLD_COLUMNS
    }
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    await session.execute(
        update(Household).where(Household.id == household_id).values(**changes, profile_seq=seq)
    )
