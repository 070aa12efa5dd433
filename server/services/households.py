"""Households: what a member's phone downloads, and the projection of each household's own record.

A household's facts (head, phone, residents, tags, care level, 三要有 dates, curtain round, linked members)
start from the register (demo data or an import) and are corrected at the door through the ``household``
record type — field by field, merged like any record. Every op on such a record updates the ``households``
row in the same transaction (:func:`project_household`), so the list below is always the merged truth.

Phones list them in pages (:func:`household_page`, docs/sync-protocol.md §8): the first time all of them,
then only those whose ``version`` (set by the database, migration 0008) grew since their cursor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.errors import BadRequest
from server.models import Area, Household
from server.services.cursors import HouseholdCursor
from server.services.log_end import visible_end
from sync import JSON

__all__ = [
    "DEFAULT_HOUSEHOLD_LIMIT",
    "HOUSEHOLD_COLUMNS",
    "MAX_HOUSEHOLD_LIMIT",
    "HouseholdPage",
    "household_json",
    "household_page",
    "list_households",
    "parse_household_limit",
    "project_household",
]

MAX_HOUSEHOLD_LIMIT = 5000
DEFAULT_HOUSEHOLD_LIMIT = 500

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
        "last_visit": household.last_visit,
    }


async def list_households(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Household, Area.name)
        .join(Area, Area.id == Household.grid_id)
        .where(Household.grid_id.in_(principal.grid_ids))
        .order_by(Household.grid_id, Household.building, Household.unit, Household.room)
    )
    return [household_json(household, grid_name) for household, grid_name in rows]


@dataclass(frozen=True)
class HouseholdPage:
    households: list[dict[str, Any]]
    next: HouseholdCursor  # where the listing goes on
    more: bool


def parse_household_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_HOUSEHOLD_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_HOUSEHOLD_LIMIT:
        raise BadRequest(
            "invalid_limit", f"limit must be 1..{MAX_HOUSEHOLD_LIMIT}, got {raw!r}", "分页大小无效"
        )
    return int(raw)


async def household_page(
    session: AsyncSession, principal: Principal, position: HouseholdCursor | None, *, limit: int
) -> HouseholdPage:
    """One page of the caller's households: of all of them by id (no cursor yet, or a whole listing under
    way), or of those changed after the cursor's version, oldest change first.

    Versions are op sequence numbers (migration 0008), so, as pull does, a listing never goes past the op
    log's gap-free end read before it (``visible_end``): a change with a greater version may still be
    uncommitted, and comes in a later listing.
    """
    in_scope = Household.grid_id.in_(principal.grid_ids)
    rows_of = select(Household, Area.name).join(Area, Area.id == Household.grid_id)
    if position is None or position.whole:
        end = position.version if position is not None else await visible_end(session)
        after = [Household.id > position.last] if position is not None and position.last else []
        rows = (
            await session.execute(rows_of.where(in_scope, *after).order_by(Household.id).limit(limit + 1))
        ).all()
        listed = [household_json(h, name) for h, name in rows[:limit]]
        if len(rows) > limit:
            return HouseholdPage(
                listed, HouseholdCursor(version=end, whole=True, last=rows[limit - 1][0].id), True
            )
        return HouseholdPage(listed, HouseholdCursor(version=end), False)
    end = max(position.version, await visible_end(session))
    changed = rows_of.where(in_scope, Household.version > position.version, Household.version <= end)
    rows = (await session.execute(changed.order_by(Household.version, Household.id).limit(limit + 1))).all()
    if len(rows) <= limit:
        return HouseholdPage(
            [household_json(h, name) for h, name in rows], HouseholdCursor(version=end), False
        )
    page = list(rows[:limit])
    last: Household = page[-1][0]
    if rows[limit][0].version == last.version:  # a cursor holds a version: never split one between pages
        tied = changed.where(Household.version == last.version, Household.id > last.id).order_by(Household.id)
        page += (await session.execute(tied)).all()
    return HouseholdPage(
        [household_json(h, name) for h, name in page], HouseholdCursor(version=last.version), True
    )


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
