"""compact record state: rebuild every record's state from the op log in sync's storage form

Revision ID: 0006_compact_state
Revises: 0005_projections
Create Date: 2026-11-30

Registers now keep their 4 most recent losing writes (sync.MAX_OVERWRITTEN) and the state is stored in
the compact form ``sync.state_to_storage`` writes, loaded without replaying history. Rows written before
are rebuilt from the op log, which is the source of truth (the full history stays there).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from sync import Op, apply_ops, canonical_json, parse_op, state_from_storage, state_to_json, state_to_storage

revision = "0006_compact_state"
down_revision = "0005_projections"
branch_labels = None
depends_on = None

BATCH = 500


def _record_ids(connection: sa.Connection) -> list[str]:
    return [row[0] for row in connection.execute(sa.text("SELECT id FROM records ORDER BY id"))]


def upgrade() -> None:
    connection = op.get_bind()
    ids = _record_ids(connection)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        ops: dict[str, list[Op]] = {record_id: [] for record_id in chunk}
        rows = connection.execute(
            sa.text(
                "SELECT record_id, body, author_id FROM ops WHERE record_id IN :ids ORDER BY seq"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": chunk},
        )
        for record_id, body, author in rows:
            ops[record_id].append(
                parse_op({**json.loads(body), "author": author}, allow_author=True, allow_nul=True)
            )
        for record_id, record_ops in ops.items():
            if not record_ops:
                continue
            state = apply_ops(None, record_ops)
            connection.execute(
                sa.text("UPDATE records SET state = :state WHERE id = :id"),
                {"state": state_to_storage(state), "id": record_id},
            )


def downgrade() -> None:
    connection = op.get_bind()
    for record_id, text in connection.execute(sa.text("SELECT id, state FROM records")).all():
        connection.execute(
            sa.text("UPDATE records SET state = :state WHERE id = :id"),
            {"state": canonical_json(state_to_json(state_from_storage(text))), "id": record_id},
        )
