"""The field-work rules a phone needs to compute its Today list offline (issue 6 §2, §5, §6).

- the curtain round's morning deadline of each of the member's grids: its community's own
  (``Area.curtain_deadline``, set by coordinators) or ``LIANHU_CURTAIN_DEADLINE``;
- how many days a household of each care level may go without a visit (``LIANHU_VISIT_CADENCE_DAYS``).

The request deadlines (the 1-2-3 rule) are part of the record-type declaration itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.models import Area, AreaLevel
from server.services.audit import audit
from server.services.members import MemberError
from server.settings import Settings

__all__ = ["field_rules", "set_curtain_deadline"]


async def field_rules(session: AsyncSession, grid_ids: Iterable[int], settings: Settings) -> dict[str, Any]:
    """``{"curtain_deadlines": {grid id: "HH:MM"}, "visit_cadence_days": {care level: days}}``."""
    community = aliased(Area)
    rows = await session.execute(
        select(Area.id, community.curtain_deadline)
        .join(community, community.id == Area.parent_id)
        .where(Area.id.in_(list(grid_ids)))
    )
    return {
        "curtain_deadlines": {
            str(grid_id): deadline or settings.curtain_deadline for grid_id, deadline in rows
        },
        "visit_cadence_days": settings.visit_cadence,
    }


async def set_curtain_deadline(
    session: AsyncSession, *, area_id: int, deadline: str | None, by: int | None, client: str | None = None
) -> dict[str, Any]:
    """Set a community's curtain-round deadline (``"HH:MM"``; ``None`` or ``""``: back to
    ``LIANHU_CURTAIN_DEADLINE``), audited with who (``by``: a member, or None for the admin CLI) and the
    value before. The one place that writes it: the CLI and the console (after its scope checks) call it.

    Raises :class:`~server.services.members.MemberError` (``not_a_community``, ``invalid_time``).
    """
    area = await session.get(Area, area_id)
    if area is None or area.level != AreaLevel.COMMUNITY:
        level = "nothing" if area is None else f"a {area.level.value}"
        raise MemberError(
            "not_a_community", f"area {area_id} is {level}; the curtain deadline is set per community",
            "截止时间按社区设置",
        )  # fmt: skip
    value = deadline or None
    if value is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise MemberError(
            "invalid_time", f"expected a time HH:MM (24 h), got {deadline!r}", "时间格式应为 HH:MM"
        )
    before = area.curtain_deadline
    area.curtain_deadline = value
    await audit(
        session, "curtain_deadline_set", member_id=by, client=client, area=area_id, deadline=value,
        before=before, by=by,
    )  # fmt: skip
    return {"id": area.id, "name": area.name, "curtain_deadline": value}
