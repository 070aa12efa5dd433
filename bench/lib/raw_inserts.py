"""The floors: the very rows Lianhu stored, inserted again with the database's plain driver.

The rows are read back from the server's own database after its fan-in (so they are exactly what the push
path wrote: op log rows with canonical JSON bodies and digests, and the materialized records), then
inserted into a fresh copy of the same fixture — the same tables, indexes and foreign keys — 200 ops to a
transaction, as the push path commits them:

- ops only: the op log rows;
- ops + records: the op log rows and an upsert of each record the batch touched (its stored state).

SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on, as ``server/db.py`` configures it;
PostgreSQL with its default durability, through asyncpg's ``executemany``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

__all__ = ["Rows", "asyncpg_rows", "insert_asyncpg", "insert_sqlite", "sqlite_rows"]

BATCH = 200


@dataclass
class Rows:
    op_columns: list[str]
    ops: list[tuple[Any, ...]]  # in seq order, without seq (the database assigns it again)
    record_columns: list[str]
    records: dict[str, tuple[Any, ...]]  # record id -> its row
    record_of_op: list[str]  # record id of each op, same order as ``ops``


def sqlite_rows(path: Path) -> Rows:
    with sqlite3.connect(path) as db:
        op_cols = [r[1] for r in db.execute("PRAGMA table_info(ops)") if r[1] != "seq"]
        rec_cols = [r[1] for r in db.execute("PRAGMA table_info(records)")]
        ops = db.execute(f"SELECT {', '.join(op_cols)} FROM ops ORDER BY seq").fetchall()
        records = {row[0]: row for row in db.execute(f"SELECT {', '.join(rec_cols)} FROM records")}
    return Rows(op_cols, ops, rec_cols, records, [row[op_cols.index("record_id")] for row in ops])


def _batches(rows: Rows) -> list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    out = []
    for start in range(0, len(rows.ops), BATCH):
        touched = dict.fromkeys(rows.record_of_op[start : start + BATCH])
        out.append((rows.ops[start : start + BATCH], [rows.records[r] for r in touched]))
    return out


def _upsert_sql(rows: Rows, mark: str) -> str:
    cols = rows.record_columns
    marks = ", ".join(mark.format(n=n + 1) for n in range(len(cols)))
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
    return (
        f"INSERT INTO records ({', '.join(cols)}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def _insert_sql(rows: Rows, mark: str) -> str:
    marks = ", ".join(mark.format(n=n + 1) for n in range(len(rows.op_columns)))
    return f"INSERT INTO ops ({', '.join(rows.op_columns)}) VALUES ({marks})"


def insert_sqlite(path: Path, rows: Rows, *, with_records: bool) -> float:
    """Seconds to insert ``rows`` into the SQLite file at ``path`` (a copy of the fixture)."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    insert_ops, upsert = _insert_sql(rows, "?"), _upsert_sql(rows, "?")
    batches = _batches(rows)
    started = time.perf_counter()
    for ops, records in batches:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert_ops, ops)
        if with_records:
            db.executemany(upsert, records)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def asyncpg_rows(url: str) -> Rows:
    conn = await asyncpg.connect(_dsn(url))
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_name IN ('ops', 'records') ORDER BY ordinal_position"
        )
        op_cols = [
            r["column_name"] for r in columns if r["table_name"] == "ops" and r["column_name"] != "seq"
        ]
        rec_cols = [r["column_name"] for r in columns if r["table_name"] == "records"]
        ops = [tuple(r) for r in await conn.fetch(f"SELECT {', '.join(op_cols)} FROM ops ORDER BY seq")]
        records = {r[0]: tuple(r) for r in await conn.fetch(f"SELECT {', '.join(rec_cols)} FROM records")}
    finally:
        await conn.close()
    return Rows(op_cols, ops, rec_cols, records, [row[op_cols.index("record_id")] for row in ops])


async def insert_asyncpg(url: str, rows: Rows, *, with_records: bool) -> float:
    conn = await asyncpg.connect(_dsn(url))
    insert_ops, upsert = _insert_sql(rows, "${n}"), _upsert_sql(rows, "${n}")
    batches = _batches(rows)
    try:
        started = time.perf_counter()
        for ops, records in batches:
            async with conn.transaction():
                await conn.executemany(insert_ops, ops)
                if with_records:
                    await conn.executemany(upsert, records)
        return time.perf_counter() - started
    finally:
        await conn.close()
