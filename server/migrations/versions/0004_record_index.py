"""record index: the columns the console lists, filters and alarms on

Revision ID: 0004_record_index
Revises: 0003_field_work
Create Date: 2026-11-30

Existing rows get their values from ``lianhu db upgrade``, which indexes every record whose
``started_ms`` is still null after migrating (server.services.record_index.index_missing).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_record_index"
down_revision = "0003_field_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("record_date", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("stage", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("due_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("started_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.String(length=200), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            batch_op.f("fk_records_community_id_areas"), "areas", ["community_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_records_updated_by_members"), "members", ["updated_by"], ["id"]
        )
        batch_op.create_index("ix_records_type_date", ["type", "record_date"], unique=False)
        batch_op.create_index("ix_records_community_date", ["community_id", "record_date"], unique=False)
        batch_op.create_index("ix_records_grid_updated", ["grid_id", "updated_seq"], unique=False)
        batch_op.create_index("ix_records_open_due", ["closed", "due_ms"], unique=False)
        batch_op.create_index("ix_records_created_by", ["created_by"], unique=False)
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.alter_column("closed", server_default=None)
        batch_op.alter_column("summary", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        for index in ("ix_records_created_by", "ix_records_open_due", "ix_records_grid_updated",
                      "ix_records_community_date", "ix_records_type_date"):  # fmt: skip
            batch_op.drop_index(index)
        batch_op.drop_constraint(batch_op.f("fk_records_updated_by_members"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_records_community_id_areas"), type_="foreignkey")
        for column in ("summary", "updated_by", "started_ms", "due_ms", "closed", "stage", "record_date",
                       "community_id"):  # fmt: skip
            batch_op.drop_column(column)
