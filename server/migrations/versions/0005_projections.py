"""projections: request facts for the requests board and indicators, households' last visit

Revision ID: 0005_projections
Revises: 0004_record_index
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_projections"
down_revision = "0004_record_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_facts",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("collected_ms", sa.BigInteger(), nullable=False),
        sa.Column("assigned_ms", sa.BigInteger(), nullable=True),
        sa.Column("replied_ms", sa.BigInteger(), nullable=True),
        sa.Column("returned_ms", sa.BigInteger(), nullable=True),
        sa.Column("assigned_to", sa.String(length=100), nullable=True),
        sa.Column("assigned_member", sa.Integer(), nullable=True),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_request_facts_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_member"], ["members.id"], name=op.f("fk_request_facts_assigned_member_members")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_request_facts")),
    )
    op.create_index("ix_request_facts_collected", "request_facts", ["collected_ms"], unique=False)
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_visit", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("last_visit")
    op.drop_index("ix_request_facts_collected", table_name="request_facts")
    op.drop_table("request_facts")
