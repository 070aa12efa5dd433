"""households version: a change counter, so phones list only the households changed since their cursor

Revision ID: 0008_households_version
Revises: 0007_console_indexes
Create Date: 2026-11-30

``GET /api/households?after=CURSOR`` (docs/sync-protocol.md §8) lists the households whose ``version`` is
greater than the cursor's and at most the op log's gap-free end (``server.services.log_end``), so that a
cursor never moves past a change that has not committed yet. Versions therefore live in the op sequence's
numbers, and the database sets them itself, whoever writes:

- an UPDATE that sets ``profile_seq`` (push, for an op on the household's own record) gives the row that
  op's sequence number: it is covered by that push's in-flight marker until the push commits;
- any other write of a column the phones see (an insert, an import, demo data, a new last visit) gives it
  the last sequence number drawn + 1. That is never below a number its writer holds in flight (a push's
  own, under its marker) nor below one a cursor has passed (a serialized writer holds the lock pushes draw
  under until it commits), so the change is listed once an op with that number is visible — never before
  the write has committed.

A write that leaves every one of those columns as it was changes no version.

Existing rows take their ``profile_seq`` (0 for none: a listing without a cursor sends every household
whatever its version). SQLite's batch mode (``op.batch_alter_table``) rebuilds a table without its
triggers: a later migration that batch-alters ``households`` must call ``create_triggers`` again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_households_version"
down_revision = "0007_console_indexes"
branch_labels = None
depends_on = None

# Every column of the households row a phone sees (server/services/households.py household_json), and the
# op that last set them. A write that leaves all of them as they were changes no version.
WATCHED = (
    "grid_id", "building", "unit", "room", "address", "head_name", "phone", "tags", "care_level", "residents",
    "contact_card", "info_sheet", "health", "income", "emergency_contact", "curtain_round", "covered_by",
    "last_visit", "profile_seq",
)  # fmt: skip


def create_triggers() -> None:
    columns = ", ".join(WATCHED)
    if op.get_bind().dialect.name == "postgresql":
        # As text: PostgreSQL's json type has no equality.
        changed = " OR ".join(f"NEW.{column}::text IS DISTINCT FROM OLD.{column}::text" for column in WATCHED)
        op.execute(
            "CREATE FUNCTION households_next_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NEW; END IF; "
            "IF TG_OP = 'UPDATE' AND NEW.profile_seq IS DISTINCT FROM OLD.profile_seq "
            "AND NEW.profile_seq IS NOT NULL THEN NEW.version := NEW.profile_seq; "
            "ELSE NEW.version := coalesce(pg_sequence_last_value("
            "pg_get_serial_sequence('ops', 'seq')::regclass), 0) + 1; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER households_version_insert BEFORE INSERT ON households "
            "FOR EACH ROW EXECUTE FUNCTION households_next_version()"
        )
        op.execute(
            f"CREATE TRIGGER households_version_update BEFORE UPDATE OF {columns} ON households "
            "FOR EACH ROW EXECUTE FUNCTION households_next_version()"
        )
        return
    # SQLite has one writer at a time, and no BEFORE trigger that can change NEW: the row's version is set
    # right after the write. The inner UPDATE names only `version`, which is not watched: no recursion.
    drawn = "(SELECT coalesce(max(seq), 0) + 1 FROM ops)"
    op.execute(
        "CREATE TRIGGER households_version_insert AFTER INSERT ON households "
        f"BEGIN UPDATE households SET version = {drawn} WHERE id = NEW.id; END"
    )
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in WATCHED)
    op.execute(
        f"CREATE TRIGGER households_version_update AFTER UPDATE OF {columns} ON households WHEN {changed} "
        "BEGIN UPDATE households SET version = CASE "
        "WHEN NEW.profile_seq IS NOT NULL AND NEW.profile_seq IS NOT OLD.profile_seq THEN NEW.profile_seq "
        f"ELSE {drawn} END WHERE id = NEW.id; END"
    )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER households_version_update ON households")
        op.execute("DROP TRIGGER households_version_insert ON households")
        op.execute("DROP FUNCTION households_next_version()")
    else:
        op.execute("DROP TRIGGER households_version_update")
        op.execute("DROP TRIGGER households_version_insert")


def upgrade() -> None:
    op.add_column("households", sa.Column("version", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE households SET version = profile_seq WHERE profile_seq IS NOT NULL")
    op.create_index("ix_households_version", "households", ["version"], unique=False)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_index("ix_households_version", table_name="households")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("version")
