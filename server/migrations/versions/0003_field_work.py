"""field work: household facts edited at the door, the curtain round, per-community curtain deadline

Revision ID: 0003_field_work
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_field_work"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("residents", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("contact_card", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("info_sheet", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("health", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("income", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("emergency_contact", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("curtain_round", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("covered_by", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("profile_seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("households", schema=None) as batch_op:
        # The defaults only filled the existing rows; new rows get theirs from the models.
        batch_op.alter_column("residents", server_default=None)
        batch_op.alter_column("curtain_round", server_default=None)
        batch_op.alter_column("covered_by", server_default=None)
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("curtain_deadline", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_column("curtain_deadline")
    with op.batch_alter_table("households", schema=None) as batch_op:
        for column in ("profile_seq", "covered_by", "curtain_round", "emergency_contact", "income", "health",
                       "info_sheet", "contact_card", "residents"):  # fmt: skip
            batch_op.drop_column(column)
