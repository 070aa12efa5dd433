"""work events: curtain checks closed, return visits and mediation sessions, for indicators and points

Revision ID: 0010_work_events
Revises: 0007_console_indexes
Create Date: 2026-11-30

Existing records get their events from ``lianhu db upgrade`` (server.services.record_index.events_missing).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_work_events"
down_revision = "0007_console_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name=op.f("fk_work_events_record_id_records")),
        sa.ForeignKeyConstraint(["grid_id"], ["areas.id"], name=op.f("fk_work_events_grid_id_areas")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_work_events_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_events")),
    )
    op.create_index("ix_work_events_kind_day", "work_events", ["kind", "day"], unique=False)
    op.create_index(op.f("ix_work_events_record_id"), "work_events", ["record_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_work_events_record_id"), table_name="work_events")
    op.drop_index("ix_work_events_kind_day", table_name="work_events")
    op.drop_table("work_events")
