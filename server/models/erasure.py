"""The erasure register 删除登记: what was erased, and by which erase op — never what the data was.

A restored backup older than an erasure brings the erased data back; ``lianhu db restore`` reads this
register before it replaces the store and applies every entry again afterwards (docs/privacy.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class ErasureEntry(Base):
    """One erased record (``record_id`` set), or one household whose personal facts were cleared
    (``record_id`` None). ``op`` is the erase op's canonical JSON: ids, type, household, stamp — no
    personal data. No foreign keys: an entry must outlive the rows it names, across restores."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    record_type: Mapped[str | None] = mapped_column(String(32))
    op: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))  # "retention", "deleted" or "resident"
    requested_by: Mapped[int | None] = mapped_column()  # the member who took a resident's request
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
