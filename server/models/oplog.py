"""The sync store: the append-only op log and the materialized state of every record.

``ops`` is the source of truth; ``records`` is derived from it (``sync.apply_op`` over the record's ops)
and kept in the same transaction, so reads never have to replay the log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, BigIntegerPK, UtcDateTime, utcnow


class OpRow(Base):
    """One accepted op. ``seq`` is the server sequence the pull cursor walks."""

    __tablename__ = "ops"

    seq: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    record_type: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    clock: Mapped[str] = mapped_column(String(21))
    replica: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)  # see RecordAccess
    body: Mapped[str] = mapped_column(Text)  # canonical JSON of the op as the client sent it
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of body: same id + other digest = op_conflict
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_ops_grid_seq", "grid_id", "seq"),
        Index("ix_ops_author_record", "author_id", "record_id"),  # the console's "touched by" filter
    )


class RecordRow(Base):
    """Current merged state of one record (JSON in the shape of docs/sync-protocol.md §3.3), and what
    lists, filters and alarms need of it as plain columns (``server.domain.indexing.record_index``),
    written in the same transaction as its ops."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    state: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_seq: Mapped[int] = mapped_column(BigInteger)
    updated_seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    record_date: Mapped[str | None] = mapped_column(String(10))
    stage: Mapped[str | None] = mapped_column(String(32))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    due_ms: Mapped[int | None] = mapped_column(BigInteger)
    started_ms: Mapped[int | None] = mapped_column(BigInteger)  # None: not indexed yet (see db upgrade)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    summary: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        # The console's keyset pages (migration 0007): each index ends in the list's sort key.
        Index("ix_records_date_id", "record_date", "id"),
        Index("ix_records_type_date_id", "type", "record_date", "id"),
        Index("ix_records_community_date_id", "community_id", "record_date", "id"),
        Index("ix_records_grid_date_id", "grid_id", "record_date", "id"),
        Index("ix_records_created_by_date_id", "created_by", "record_date", "id"),
        Index("ix_records_updated_seq", "updated_seq"),
        Index("ix_records_grid_updated", "grid_id", "updated_seq"),
        # … and its "last change" sort filtered by a community or a type (migration 0012).
        Index("ix_records_community_updated", "community_id", "updated_seq"),
        Index("ix_records_type_updated", "type", "updated_seq"),
        Index("ix_records_open_due", "closed", "due_ms"),
    )


class RecordAccess(Base):
    """Who may read a restricted record (mediators and its creator), and since which op.

    ``granted_seq`` is the op that gave access; pull sends the record's earlier ops with it. ``revoked_seq``
    is the op that took it away; pull then tells the device to drop the record.
    """

    __tablename__ = "record_access"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    granted_seq: Mapped[int] = mapped_column(BigInteger)
    revoked_seq: Mapped[int | None] = mapped_column(BigInteger)
