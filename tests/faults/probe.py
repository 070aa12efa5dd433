"""Looking into a store from outside the server: what it holds, whether it is intact, whether it agrees
with itself.

The fault tests run the server in another process and judge it only by what it answered and what its
database holds afterwards. "Agrees with itself" means: every row of ``records`` equals the fold of that
record's ops in ``ops`` with the ``sync`` library (``apply_op`` in any order gives the same state, see
sync/INTERNALS.md), which is what a PostgreSQL store has instead of SQLite's ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from server.db import Store
from server.models import RecordRow
from server.services.records import load_state
from sync import RecordState, apply_op, canonical_json, parse_op, state_to_json

__all__ = [
    "StoredOp",
    "fold_mismatches",
    "integrity_problems",
    "store_digest",
    "stored_ops",
    "stored_records",
]


@dataclass(frozen=True)
class StoredOp:
    op_id: str
    record_id: str
    author_id: int
    digest: str
    body: str
    copies: int


async def stored_ops(store: Store, op_ids: set[str] | None = None) -> dict[str, StoredOp]:
    """Every stored op (or those of ``op_ids``), with how many rows carry its id."""
    async with store.read() as session:
        rows = (
            await session.execute(
                text("SELECT op_id, record_id, author_id, digest, body FROM ops ORDER BY seq")
            )
        ).all()
    copies: dict[str, int] = defaultdict(int)
    for row in rows:
        copies[row.op_id] += 1
    return {
        row.op_id: StoredOp(row.op_id, row.record_id, row.author_id, row.digest, row.body, copies[row.op_id])
        for row in rows
        if op_ids is None or row.op_id in op_ids
    }


async def stored_records(store: Store) -> dict[str, str]:
    """record id → its materialized state, read with the server's own reader, as canonical §3.3 JSON (the
    form devices hold and ``GET /api/records/{id}`` answers), whatever form the store keeps it in."""
    async with store.read() as session:
        rows = (await session.scalars(select(RecordRow))).all()
        return {row.id: canonical_json(state_to_json(load_state(row))) for row in rows}


async def integrity_problems(store: Store) -> list[str]:
    """SQLite's own check of its files (``PRAGMA integrity_check``); [] when it says ``ok``.

    On PostgreSQL there is no cheap equivalent for a test: :func:`fold_mismatches` checks what matters to
    us there (and on SQLite too)."""
    if not store.is_sqlite:
        return []
    async with store.read() as session:
        result = [str(row[0]) for row in (await session.execute(text("PRAGMA integrity_check"))).all()]
    return [] if result == ["ok"] else result


async def fold_mismatches(store: Store, record_ids: set[str] | None = None) -> list[str]:
    """Records whose stored state is not the fold of their stored ops, and ops whose record is missing."""
    ops = await stored_ops(store)
    records = await stored_records(store)
    folded: dict[str, RecordState | None] = {}
    for op in ops.values():
        if record_ids is not None and op.record_id not in record_ids:
            continue
        body = json.loads(op.body)
        body["author"] = op.author_id
        folded[op.record_id] = apply_op(folded.get(op.record_id), parse_op(body, allow_author=True))
    problems = []
    for record_id, state in sorted(folded.items()):
        assert state is not None
        stored = records.get(record_id)
        if stored is None:
            problems.append(f"record {record_id} has ops but no row in records")
        elif stored != canonical_json(state_to_json(state)):
            problems.append(f"record {record_id}: stored state differs from the fold of its ops")
    for record_id in sorted(set(records) - set(folded)):
        if record_ids is None or record_id in record_ids:
            problems.append(f"record {record_id} has a row in records but no ops")
    return problems


# What a rejected request must not change. Sessions, ceremonies and the audit log legitimately move on
# every request (a session is touched, a failure is audited), so they are left out.
DIGESTED = {
    "ops": "SELECT op_id, record_id, author_id, device_id, digest, body FROM ops ORDER BY seq",
    "records": "SELECT id, state, deleted, updated_seq FROM records ORDER BY id",
    "record_access": "SELECT record_id, member_id, granted_seq, revoked_seq FROM record_access "
    "ORDER BY record_id, member_id",
    "devices": "SELECT id, member_id FROM devices ORDER BY id",
    "members": "SELECT id, name FROM members ORDER BY id",
}


async def store_digest(store: Store) -> dict[str, Any]:
    """Row counts and a SHA-256 over the rows of every table a request could leave half-written."""
    out: dict[str, Any] = {}
    async with store.read() as session:
        for table, sql in DIGESTED.items():
            rows = [tuple(map(str, row)) for row in (await session.execute(text(sql))).all()]
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
    return out
