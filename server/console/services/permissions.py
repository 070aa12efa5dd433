"""Who may do what in the console: the one table of roles, and the scope every page and action is held to.

=============  ==================  ============================================================
role           console             page 6 (members and devices)
=============  ==================  ============================================================
member         no ("not for you")  —
liaison        no ("not for you")  —
grid_leader    yes                 sees the members and devices of their grids; changes nothing
community      yes                 manages members, liaisons and grid leaders of its community
street         yes                 … and community coordinators of its street
admin          yes                 everyone, every role
=============  ==================  ============================================================

A coordinator *sees* a member placed (``server/services/roster.py``) in any area under their own, and
*manages* one when the member ranks below them and every area of the member's placement lies under their
own. Admins see and manage everyone but themselves. A member out of sight is answered like one that does not
exist (404), as records are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.models import Area, Assignment, Member, Role
from server.services.members import MemberError
from server.services.roster import areas_under, placements

__all__ = [
    "CONSOLE_ROLES",
    "MANAGER_ROLES",
    "ConsoleScope",
    "NotAllowed",
    "NotInScope",
    "check_manageable",
    "check_new_placement",
    "console_scope",
    "member_in_view",
]

CONSOLE_ROLES = frozenset({Role.GRID_LEADER, Role.COMMUNITY, Role.STREET, Role.ADMIN})
MANAGER_ROLES = frozenset({Role.COMMUNITY, Role.STREET, Role.ADMIN})
# Who ranks above whom: a coordinator manages only the ranks below their own (admins: everyone).
_RANK = {
    Role.MEMBER: 0,
    Role.LIAISON: 0,
    Role.GRID_LEADER: 0,
    Role.COMMUNITY: 1,
    Role.STREET: 2,
    Role.ADMIN: 3,
}


class NotAllowed(MemberError):
    status_code = 403

    def __init__(self, message: str, message_zh: str = "您的角色无权进行此操作") -> None:
        super().__init__("not_allowed", message, message_zh)


class NotInScope(MemberError):
    status_code = 404

    def __init__(self, what: str) -> None:
        super().__init__("not_found", f"no {what} in your scope", "在您的范围内没有找到")


@dataclass(frozen=True)
class ConsoleScope:
    """A coordinator's reach: ``roots`` are the areas they are assigned to (all streets for an admin),
    ``areas`` those and everything below them."""

    member_id: int
    role: Role
    roots: frozenset[int]
    areas: frozenset[int]

    @property
    def may_use_console(self) -> bool:
        return self.role in CONSOLE_ROLES

    @property
    def may_manage(self) -> bool:
        return self.role in MANAGER_ROLES

    @property
    def sees_everyone(self) -> bool:
        return self.role == Role.ADMIN

    def grantable_roles(self) -> list[Role]:
        """The roles this coordinator may give: those ranking below their own (an admin: every role)."""
        if not self.may_manage:
            return []
        if self.role == Role.ADMIN:
            return list(Role)
        return [role for role in Role if _RANK[role] < _RANK[self.role]]


async def console_scope(session: AsyncSession, principal: Principal) -> ConsoleScope:
    if principal.role == Role.ADMIN:
        streets = await session.scalars(select(Area.id).where(Area.parent_id.is_(None)))
        roots = frozenset(streets.all())
    else:
        assigned = await session.scalars(
            select(Assignment.area_id).where(
                Assignment.member_id == principal.member_id, Assignment.ended_at.is_(None)
            )
        )
        roots = frozenset(assigned.all())
    return ConsoleScope(principal.member_id, principal.role, roots, await areas_under(session, roots))


async def _placement_of(session: AsyncSession, member_id: int) -> set[int]:
    placed = placements().subquery()
    rows = await session.scalars(select(placed.c.area_id).where(placed.c.member_id == member_id))
    return set(rows.all())


async def member_in_view(session: AsyncSession, scope: ConsoleScope, member_id: int) -> Member:
    """The member, if the coordinator may see them; else :class:`NotInScope` (also for unknown ids)."""
    member = await session.get(Member, member_id)
    if member is None:
        raise NotInScope("member")
    if not scope.sees_everyone and not (await _placement_of(session, member_id)) & scope.areas:
        raise NotInScope("member")
    return member


async def check_manageable(session: AsyncSession, scope: ConsoleScope, member: Member) -> None:
    """Raise :class:`NotAllowed` unless the coordinator may change ``member`` (who is in view)."""
    if not scope.may_manage:
        raise NotAllowed(f"a {scope.role.value} cannot change members")
    if member.id == scope.member_id:
        raise NotAllowed("you cannot change your own membership", "不能修改自己的成员信息")
    if scope.sees_everyone:
        return
    if _RANK[member.role] >= _RANK[scope.role]:
        raise NotAllowed(f"a {scope.role.value} cannot change a {member.role.value}", "无权管理同级或上级")
    if not (await _placement_of(session, member.id)) <= scope.areas:
        raise NotAllowed("the member also works outside your areas", "该成员还负责您范围以外的区域")


def check_new_placement(scope: ConsoleScope, role: Role, area_ids: Iterable[int]) -> None:
    """Raise :class:`NotAllowed` unless the coordinator may place a ``role`` in ``area_ids``."""
    if role not in scope.grantable_roles():
        raise NotAllowed(f"a {scope.role.value} cannot give the role {role.value}", "无权授予该角色")
    outside = sorted(set(area_ids) - scope.areas)
    if outside and not scope.sees_everyone:
        raise NotAllowed(f"areas {outside} are outside your scope", "所选区域不在您的范围内")
