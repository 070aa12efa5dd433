"""erasure register: the records and households erased (issue 9, PIPL), re-applied after a restore

Revision ID: 0009_erasure
Revises: 0007_console_indexes
Create Date: 2026-12-01

A branch of its own from 0007 (0008_households_version is a parallel branch of other work; ``lianhu db
upgrade`` upgrades every head). The register names what was erased by which erase op and never holds
personal data; see server/models/erasure.py and docs/privacy.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_erasure"
down_revision = "0007_console_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=True),
        sa.Column("record_type", sa.String(length=32), nullable=True),
        sa.Column("op", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("record_id", name=op.f("uq_erasures_record_id")),
    )
    op.create_index("ix_erasures_household_id", "erasures", ["household_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_erasures_household_id", table_name="erasures")
    op.drop_table("erasures")
