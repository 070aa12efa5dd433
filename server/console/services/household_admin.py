"""Households in the console, and the curtain round's data that coordinators keep (issue 6 §2, issue 7):

- a household's ``curtain_round`` flag, its linked members ``covered_by`` (包联) and its ``care_level`` — set
  as an op on the household's own record (its id derived from the household, protocol §3.5) through push
  (``console_ops``): these fields are leaders-only in the declaration, and push is where that is checked;
- a community's morning deadline ``areas.curtain_deadline`` (``LIANHU_CURTAIN_DEADLINE`` where unset), a
  setting of the area rather than a record, changed by community and street offices (and admins) within
  their scope and written to the audit log (``curtain_deadline_set``). Phones read both in ``GET /api/me``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.auth.principal import Principal
from server.console.services.console_ops import ConsoleChange, Written, record_change
from server.console.services.permissions import ConsoleScope, NotAllowed, NotInScope
from server.domain.ids import derived_record_id
from server.models import Area, AreaLevel, Household, Member
from server.models.household import CARE_LEVELS
from server.services.field_rules import set_curtain_deadline
from server.services.members import MemberError, visible_members
from server.services.push import PushLimits
from sync import JSON

__all__ = [
    "PAGE_SIZE",
    "HouseholdFilter",
    "HouseholdRow",
    "HouseholdView",
    "community_deadlines",
    "household_list",
    "household_view",
    "set_community_deadline",
    "set_household",
]

PAGE_SIZE: Final = 50
MAX_COVERED: Final = 10


@dataclass(frozen=True)
class HouseholdFilter:
    area: int | None = None
    round_only: bool = False
    search: str = ""
    page: int = 1


@dataclass(frozen=True)
class HouseholdRow:
    id: str
    address: str
    grid: str
    head: str
    care_level: str
    tags: list[Any]
    curtain_round: bool
    covered_by: list[str]
    last_visit: str | None


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(ids)))
    return {member_id: name for member_id, name in rows}


async def household_list(
    session: AsyncSession, grids: frozenset[int], wanted: HouseholdFilter
) -> tuple[list[HouseholdRow], int]:
    """One page of the households of ``grids`` (the caller's, already filtered by area), and the total."""
    where: list[Any] = [Household.grid_id.in_(grids)]
    if wanted.round_only:
        where.append(Household.curtain_round.is_(True))
    if wanted.search:
        pattern = f"%{wanted.search}%"
        where.append(or_(Household.address.like(pattern), Household.head_name.like(pattern)))
    total = int(await session.scalar(select(func.count()).select_from(Household).where(*where)) or 0)
    rows = (
        await session.execute(
            select(Household, Area.name)
            .join(Area, Area.id == Household.grid_id)
            .where(*where)
            .order_by(Household.grid_id, Household.address)
            .limit(PAGE_SIZE)
            .offset((max(wanted.page, 1) - 1) * PAGE_SIZE)
        )
    ).all()
    names = await _names(session, {i for h, _ in rows for i in (h.covered_by or []) if isinstance(i, int)})
    return [
        HouseholdRow(h.id, h.address, grid, h.head_name, h.care_level, list(h.tags or []), h.curtain_round,
                     [names[i] for i in (h.covered_by or []) if i in names], h.last_visit)
        for h, grid in rows
    ], total  # fmt: skip


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    grid: str
    community_id: int | None
    community: str
    deadline: str  # the community's own, or the default
    own_deadline: bool
    candidates: list[dict[str, Any]]  # members who may be linked: placed in its grid or above it
    covered: list[dict[str, Any]]  # linked members, in order


async def household_view(
    session: AsyncSession, principal: Principal, household_id: str, default_deadline: str
) -> HouseholdView:
    household = await session.get(Household, household_id)
    if household is None or household.grid_id not in principal.grid_ids:
        raise NotInScope("household")
    grid, community = aliased(Area), aliased(Area)
    row = (
        await session.execute(
            select(grid.name, community.id, community.name, community.curtain_deadline)
            .outerjoin(community, community.id == grid.parent_id)
            .where(grid.id == household.grid_id)
        )
    ).one()
    candidates = await visible_members(session, frozenset({household.grid_id}))
    covered_ids = [i for i in (household.covered_by or []) if isinstance(i, int)]
    names = await _names(session, set(covered_ids))
    covered = [{"id": i, "name": names.get(i, f"#{i}")} for i in covered_ids]
    known = {c["id"] for c in candidates}
    candidates += [c | {"role": ""} for c in covered if c["id"] not in known]
    return HouseholdView(household, row[0], row[1], row[2] or "", row[3] or default_deadline,
                         row[3] is not None, candidates, covered)  # fmt: skip


async def set_household(
    session: AsyncSession,
    principal: Principal,
    household_id: str,
    *,
    curtain_round: bool,
    covered_by: Sequence[int],
    care_level: str,
    limits: PushLimits,
    now_ms: int,
    client: str | None,
) -> Written | None:
    """Write what changed of the three fields as one op on the household's record, and return push's
    answer (:meth:`Written.check` it after the transaction); None when nothing changed (no op)."""
    household = await session.get(Household, household_id)
    if household is None or household.grid_id not in principal.grid_ids:
        raise NotInScope("household")
    if care_level not in CARE_LEVELS:
        raise MemberError("invalid_care_level", f"unknown care level {care_level!r}", "关爱等级无效")
    linked = list(dict.fromkeys(covered_by))
    if len(linked) > MAX_COVERED:
        raise MemberError(
            "too_many_linked", f"at most {MAX_COVERED} members per household, got {len(linked)}",
            f"每户最多包联 {MAX_COVERED} 名党员",
        )  # fmt: skip
    wanted: dict[str, JSON] = {"curtain_round": curtain_round, "covered_by": list(linked),
                               "care_level": care_level}  # fmt: skip
    current = {"curtain_round": bool(household.curtain_round), "covered_by": list(household.covered_by or []),
               "care_level": household.care_level}  # fmt: skip
    changed = {name: value for name, value in wanted.items() if current[name] != value}
    if not changed:
        return None
    change = ConsoleChange(
        record=derived_record_id("household", [household_id]), type="household", household=household_id,
        kind="set", fields=changed,
    )  # fmt: skip
    return await record_change(session, principal, change, limits=limits, now_ms=now_ms, client=client)


@dataclass(frozen=True)
class CommunityDeadline:
    id: int
    name: str
    deadline: str | None  # its own, or None for the default


async def community_deadlines(session: AsyncSession, scope: ConsoleScope) -> list[CommunityDeadline]:
    """The communities in the coordinator's scope and their curtain deadlines."""
    rows = await session.execute(
        select(Area.id, Area.name, Area.curtain_deadline)
        .where(Area.level == AreaLevel.COMMUNITY, Area.id.in_(scope.areas))
        .order_by(Area.id)
    )
    return [CommunityDeadline(*row) for row in rows]


async def set_community_deadline(
    session: AsyncSession, scope: ConsoleScope, *, area_id: int, deadline: str, client: str | None
) -> str | None:
    """Set (``"HH:MM"``) or clear (``""``: back to ``LIANHU_CURTAIN_DEADLINE``) a community's deadline."""
    if not scope.may_manage:
        raise NotAllowed(f"a {scope.role.value} cannot change a community's curtain deadline")
    area = await session.get(Area, area_id)
    if area is None or (area_id not in scope.areas and not scope.sees_everyone):
        raise NotInScope("community")
    changed = await set_curtain_deadline(
        session, area_id=area_id, deadline=deadline, by=scope.member_id, client=client
    )
    value: str | None = changed["curtain_deadline"]
    return value
