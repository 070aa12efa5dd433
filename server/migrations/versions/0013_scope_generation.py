"""scope generation: a counter that moves whenever anyone's scope may have changed (issue 8)

Revision ID: 0013_scope_generation
Revises: 0012_console_changed_indexes
Create Date: 2026-12-01

Every API request needs the caller's grids, and every push the grids of their recently ended assignments
(the reassignment grace policy): two queries, the dearest of a small push's statements. A member's scope
changes only when ``assignments`` or ``areas`` are written or the member's role changes, so each server
process keeps it (``server.services.scope.ScopeCache``) for as long as this counter stands still. The
database moves the counter itself, whoever writes (the console, the CLI, an import, a hand-written SQL
fix), so no process can miss a change: a request reads the counter with its session, in one statement.

SQLite's batch mode (``op.batch_alter_table``) rebuilds a table without its triggers: a later migration
that batch-alters ``assignments``, ``areas`` or ``members`` must call ``create_triggers`` again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_scope_generation"
down_revision = "0012_console_changed_indexes"
branch_labels = None
depends_on = None

BUMP = "UPDATE scope_generation SET value = value + 1"
# table -> the writes that may change someone's scope
WATCHED = {
    "assignments": ("INSERT", "UPDATE", "DELETE"),
    "areas": ("INSERT", "UPDATE", "DELETE"),
    "members": ("UPDATE OF role",),
}


def _name(table: str, event: str) -> str:
    return f"scope_generation_{table}_{event.split()[0].lower()}"


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION scope_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{BUMP}; RETURN NULL; END $$"
        )
        for table, events in WATCHED.items():
            for event in events:
                op.execute(
                    f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION scope_generation_bump()"
                )
        return
    for table, events in WATCHED.items():
        for event in events:
            op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} BEGIN {BUMP}; END")


def drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, events in WATCHED.items():
        for event in events:
            op.execute(f"DROP TRIGGER {_name(table, event)}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION scope_generation_bump()")


def upgrade() -> None:
    op.create_table(
        "scope_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_generation")),
    )
    op.execute("INSERT INTO scope_generation (id, value) VALUES (1, 0)")
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("scope_generation")
