"""coordinators' console: liaison households and the members they lead (1+N)

Revision ID: 0003_console
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_console"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "liaison_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("liaison_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["liaison_id"], ["members.id"], name=op.f("fk_liaison_links_liaison_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_liaison_links_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_liaison_links")),
    )
    with op.batch_alter_table("liaison_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_liaison_links_liaison_id"), ["liaison_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_liaison_links_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("liaison_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_liaison_links_member_id"))
        batch_op.drop_index(batch_op.f("ix_liaison_links_liaison_id"))
    op.drop_table("liaison_links")
