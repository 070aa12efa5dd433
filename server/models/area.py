"""The area tree 街道 street → 社区 community → 网格 grid (micro-grids and buildings come later)."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base


class AreaLevel(enum.StrEnum):
    STREET = "street"  # 街道
    COMMUNITY = "community"  # 社区
    GRID = "grid"  # 网格


class Area(Base):
    """One node of the area tree. A member's scope is a set of these."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    level: Mapped[AreaLevel] = mapped_column(
        Enum(
            AreaLevel,
            name="area_level",
            native_enum=False,
            length=16,
            validate_strings=True,
            values_callable=lambda levels: [level.value for level in levels],
        )
    )
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # A community's morning deadline for the curtain round (HH:MM); None: LIANHU_CURTAIN_DEADLINE.
    curtain_deadline: Mapped[str | None] = mapped_column(String(5))

    parent: Mapped[Area | None] = relationship(remote_side=[id], lazy="raise")


class ScopeGeneration(Base):
    """One row: a counter the database moves on whenever anyone's scope may have changed.

    Triggers (migration ``0013_scope_generation``) add one to ``value`` on every write to ``assignments`` or
    ``areas`` and on a change of a member's role, whoever writes. Each server process keeps members'
    scopes while the counter stands still (``server.services.scope.ScopeCache``), so a request needs no
    scope query, and any change is seen by every process on its next request.
    """

    __tablename__ = "scope_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, server_default="0")
