"""console indexes: keyset pages of the records list and the "touched by" filter (issue 7, page 1)

Revision ID: 0007_console_indexes
Revises: 0006_compact_state
Create Date: 2026-11-30

The records list pages by keyset over (record_date, id) or updated_seq, newest first, filtered by grid,
community, type or creator (server/console/services/records_list.py). Each index below ends in the sort
key, so a page is an index range read backwards and stops after 51 rows, whatever its depth. Three of them
extend earlier two-column indexes with ``id`` (which SQLite does not keep in an index of a table whose key
is text) and replace them: every query the old ones served, the new ones serve. ``ops (author_id,
record_id)`` finds the records a member wrote any op of. Query plans on both databases: docs/performance.md.
"""

from __future__ import annotations

from alembic import op

revision = "0007_console_indexes"
down_revision = "0006_compact_state"
branch_labels = None
depends_on = None

REPLACED = {
    "ix_records_type_date": ("ix_records_type_date_id", ["type", "record_date", "id"]),
    "ix_records_community_date": ("ix_records_community_date_id", ["community_id", "record_date", "id"]),
    "ix_records_created_by": ("ix_records_created_by_date_id", ["created_by", "record_date", "id"]),
}
OLD_COLUMNS = {
    "ix_records_type_date": ["type", "record_date"],
    "ix_records_community_date": ["community_id", "record_date"],
    "ix_records_created_by": ["created_by"],
}
ADDED = {
    "ix_records_date_id": ["record_date", "id"],
    "ix_records_grid_date_id": ["grid_id", "record_date", "id"],
    "ix_records_updated_seq": ["updated_seq"],
}


def upgrade() -> None:
    for old, (new, columns) in REPLACED.items():
        op.create_index(new, "records", columns, unique=False)
        op.drop_index(old, table_name="records")
    for name, columns in ADDED.items():
        op.create_index(name, "records", columns, unique=False)
    op.create_index("ix_ops_author_record", "ops", ["author_id", "record_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ops_author_record", table_name="ops")
    for name in ADDED:
        op.drop_index(name, table_name="records")
    for old, (new, _) in REPLACED.items():
        op.create_index(old, "records", OLD_COLUMNS[old], unique=False)
        op.drop_index(new, table_name="records")
