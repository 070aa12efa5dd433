"""device-key logins need the PIN; the audit log cannot be truncated

Devices get ``pin_verifier`` (what a device-key login's PIN proof is checked against) and ``failed_pins``
(wrong proofs in a row; 5 lock the device). Device-key devices enrolled before this have no verifier:
they keep their current session, and log in again only after enrolling anew.

On PostgreSQL, ``TRUNCATE audit_log`` is refused like UPDATE and DELETE (a statement trigger; TRUNCATE
fires no row triggers). SQLite has no TRUNCATE, and its ``DELETE FROM`` without WHERE fires the row
triggers 0002 added.

Revision ID: 0003_security
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_security"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin_verifier", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("failed_pins", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        # The function from 0002 raises 'audit_log is append-only' whatever the trigger kind.
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("failed_pins")
        batch_op.drop_column("pin_verifier")
