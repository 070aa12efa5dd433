"""Members 党员/网格员, their roles, and the areas they are assigned to (their scope)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class Role(enum.StrEnum):
    MEMBER = "member"  # 党员 / 网格员
    LIAISON = "liaison"  # 联络户 (共产党员户), leads 3–5 members
    GRID_LEADER = "grid_leader"  # 网格长
    COMMUNITY = "community"  # 社区 coordinator
    STREET = "street"  # 街道 coordinator
    ADMIN = "admin"

    @property
    def is_coordinator(self) -> bool:
        """Coordinators "above" a grid may read its restricted records (mediation notes)."""
        return self in (Role.COMMUNITY, Role.STREET, Role.ADMIN)


class Member(Base):
    """A person who records in the field ("member" is staff; people in households are "residents")."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="member_role",
            native_enum=False,
            length=32,
            validate_strings=True,
            values_callable=lambda roles: [r.value for r in roles],
        ),
        default=Role.MEMBER,
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Assignment(Base):
    """A member's scope over time: an area (grid, community or street) from ``started_at`` to ``ended_at``.

    Ended assignments are kept: they decide whether ops recorded before a move are still accepted
    (docs/sync-protocol.md §7).
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
