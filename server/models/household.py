"""A household 户: the unit members are linked to (包联) and that every record belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text
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
    """The household's current facts. The address and grid come from the register (demo data, imports);
    the rest is also the projection of its ``household`` record (corrections made at the door, merged per
    field, docs/sync-protocol.md §3.4), written in the same transaction as the ops (``profile_seq``)."""

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
    residents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    contact_card: Mapped[str | None] = mapped_column(String(10))  # 亲情连线卡 issued on (YYYY-MM-DD)
    info_sheet: Mapped[str | None] = mapped_column(String(10))  # 家庭基本情况表 updated on
    health: Mapped[str | None] = mapped_column(Text)
    income: Mapped[str | None] = mapped_column(String(32))
    emergency_contact: Mapped[str | None] = mapped_column(String(100))
    # 窗帘行动: on the daily curtain round (an elderly resident living alone who agreed to it).
    curtain_round: Mapped[bool] = mapped_column(Boolean, default=False)
    covered_by: Mapped[list[Any]] = mapped_column(JSON, default=list)  # member ids linked to it (包联)
    profile_seq: Mapped[int | None] = mapped_column(BigInteger)  # last op of its household record
    # The latest day a member saw someone there (visits marked 未遇 do not count): for cadence alarms.
    last_visit: Mapped[str | None] = mapped_column(String(10))
    # Bumped by the database (triggers of migration 0008) whenever a column the phones see changes, from
    # one counter for the whole table: GET /api/households?after= lists those changed since a cursor.
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")

    __table_args__ = (Index("ix_households_version", "version"),)
