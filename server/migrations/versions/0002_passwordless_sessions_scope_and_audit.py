"""passwordless sessions, scope and audit

Devices now carry a credential (passkey or device key) instead of a bearer token; sessions live in their own
table. Devices enrolled under 0001 have no credential: they are marked revoked and must be enrolled again.
Grid assignments become dated assignments to any area. The audit log refuses UPDATE and DELETE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_assignments_area_id_areas")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_assignments_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_member_id"), ["member_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=32), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_audit_log_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_member_id"), ["member_id"], unique=False)

    op.create_table(
        "ceremonies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("challenge", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"], ["enrollment_codes.id"], name=op.f("fk_ceremonies_code_id_enrollment_codes")
        ),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_ceremonies_device_id_devices")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_ceremonies_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ceremonies")),
    )
    with op.batch_alter_table("ceremonies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ceremonies_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("via_cookie", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idle_seconds", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_sessions_device_id_devices")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_sessions_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_member_id"), ["member_id"], unique=False)

    op.create_table(
        "record_access",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("granted_seq", sa.BigInteger(), nullable=False),
        sa.Column("revoked_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_record_access_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_access_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", "member_id", name=op.f("pk_record_access")),
    )
    with op.batch_alter_table("record_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_access_member_id"), ["member_id"], unique=False)

    op.execute(
        "INSERT INTO assignments (member_id, area_id, started_at) "
        "SELECT member_id, grid_id, CURRENT_TIMESTAMP FROM member_grids"
    )
    with op.batch_alter_table("member_grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_grids_grid_id"))

    op.drop_table("member_grids")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "method",
                sa.Enum("passkey", "device_key", name="auth_method", native_enum=False, length=16),
                nullable=False,
                server_default="device_key",
            )
        )
        batch_op.add_column(sa.Column("credential_id", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("public_key", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("sign_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("recovery_key", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("lockout_key_hash", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_devices_token_hash"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_devices_credential_id"), ["credential_id"])
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("token_hash")
    op.execute("UPDATE devices SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL")

    with op.batch_alter_table("ops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_records_created_by_members"), "members", ["created_by"], ["id"]
        )
    op.execute(
        "UPDATE records SET created_by = (SELECT author_id FROM ops WHERE ops.seq = records.created_seq)"
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.Integer(), nullable=False)

    _protect_audit_log()


def _protect_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_is_append_only()")

    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_records_created_by_members"), type_="foreignkey")
        batch_op.drop_column("created_by")
        batch_op.drop_column("restricted")

    with op.batch_alter_table("ops", schema=None) as batch_op:
        batch_op.drop_column("restricted")

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_devices_credential_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_devices_token_hash"), ["token_hash"])
        batch_op.drop_column("locked_at")
        batch_op.drop_column("lockout_key_hash")
        batch_op.drop_column("recovery_key")
        batch_op.drop_column("shared")
        batch_op.drop_column("sign_count")
        batch_op.drop_column("public_key")
        batch_op.drop_column("credential_id")
        batch_op.drop_column("method")

    op.create_table(
        "member_grids",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["areas.id"], name=op.f("fk_member_grids_grid_id_areas")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_grids_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", "grid_id", name=op.f("pk_member_grids")),
    )
    with op.batch_alter_table("member_grids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_grids_grid_id"), ["grid_id"], unique=False)

    with op.batch_alter_table("record_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_access_member_id"))

    op.drop_table("record_access")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_member_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_device_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("ceremonies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ceremonies_expires_at"))

    op.drop_table("ceremonies")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_member_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_kind"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_member_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_area_id"))

    op.drop_table("assignments")
