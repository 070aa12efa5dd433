"""Per-type projections the console's boards and indicators query (issue 7), kept by push in the same
transaction as the ops (server/services/record_index.py) and rebuilt with the rest of a record's index."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base


class RequestFacts(Base):
    """A resident request's way through 收集 → 转办 → 答复 → 回访: when each stage was first reached (ms),
    where it was sent, and the resident's satisfaction at the latest return visit."""

    __tablename__ = "request_facts"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), primary_key=True)
    collected_ms: Mapped[int] = mapped_column(BigInteger)
    assigned_ms: Mapped[int | None] = mapped_column(BigInteger)
    replied_ms: Mapped[int | None] = mapped_column(BigInteger)
    returned_ms: Mapped[int | None] = mapped_column(BigInteger)
    assigned_to: Mapped[str | None] = mapped_column(String(100))  # a department, as written
    assigned_member: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("ix_request_facts_collected", "collected_ms"),)
