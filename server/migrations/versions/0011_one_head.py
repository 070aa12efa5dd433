"""one head: the branches of parallel work joined again

Revision ID: 0011_one_head
Revises: 0003_console, 0003_security, 0008_households_version, 0009_erasure, 0010_work_events
Create Date: 2026-11-30

Work done side by side each added migrations after the same parent (the console, login limits and field
work after 0002; households' version, erasure and work events after 0007_console_indexes). They touch
different tables, so they apply in any order. This revision only joins them, so that ``alembic upgrade
head`` (one head) works and the next migration has one parent; it changes nothing in the schema.
"""

from __future__ import annotations

revision = "0011_one_head"
down_revision = (
    "0003_console",
    "0003_security",
    "0008_households_version",
    "0009_erasure",
    "0010_work_events",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
