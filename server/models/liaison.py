"""Liaison households 联络户 (共产党员户) and the members they lead: "1+N", one liaison to 3–5 members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class LiaisonLink(Base):
    """A liaison (a member with role ``liaison``) leads ``member_id`` from ``started_at`` to ``ended_at``.

    Ended links are kept, like assignments, so the console can show who led whom and when. A member is led by
    at most one liaison at a time; the rules live in ``server/console/services/liaisons.py``.
    """

    __tablename__ = "liaison_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    liaison_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
