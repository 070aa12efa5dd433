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


class WorkEvent(Base):
    """One piece of recorded work inside a record, for indicators and points without decoding states: a
    curtain check closed (by whom, at what time of day), a request's return visit, a mediation session.
    Push rewrites a record's events from its merged state whenever the record changes."""

    __tablename__ = "work_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # curtain_closed, return_visit, mediation_session
    grid_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    day: Mapped[str] = mapped_column(String(10))  # the local day the work belongs to
    at_ms: Mapped[int] = mapped_column(BigInteger)  # the wall time of the write (device clock)
    detail: Mapped[str | None] = mapped_column(String(16))  # curtain_closed: its checked_at (HH:MM)

    __table_args__ = (Index("ix_work_events_kind_day", "kind", "day"),)
