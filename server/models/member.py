"""Members 党员/网格员 and the grids they are assigned to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class Member(Base):
    """A person who records in the field ("member" is staff; people in households are "residents")."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(32), default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MemberGrid(Base):
    """Assignment of a member to a grid: the member may see and write that grid's households."""

    __tablename__ = "member_grids"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True, index=True)
