"""A household 户: the unit members are linked to (包联) and that every record belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base

# Tags and care levels as DOMAIN.md names them; the UI translates the codes.
HOUSEHOLD_TAGS = (
    "elderly_alone",  # 独居老人
    "frail",  # 老弱病残
    "low_income",  # 低收入困难户
    "petition_focus",  # 信访重点户
    "left_behind_child",  # 留守儿童
    "disability",  # 残障人士
)
CARE_LEVELS = ("green", "blue", "yellow", "orange")  # 绿蓝黄橙


class Household(Base):
    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    building: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    room: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(200))
    head_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    care_level: Mapped[str] = mapped_column(String(16), default="green")
