"""How much room the server's store takes: the SQLite file, or PostgreSQL's relations, per table."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg

__all__ = ["postgres_sizes", "sqlite_sizes"]

SYNC_TABLES = ("ops", "records")


def sqlite_sizes(path: Path) -> dict[str, int]:
    """Bytes per table (with its indexes) and of the whole file, after a WAL checkpoint."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        indexes = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").fetchall())
        sizes: dict[str, int] = {}
        for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = indexes.get(name, name)
            sizes[table] = sizes.get(table, 0) + int(size)
    sizes["total"] = path.stat().st_size
    return sizes


async def postgres_sizes(url: str) -> dict[str, int]:
    """Bytes of each sync table with its indexes and TOAST (``pg_total_relation_size``), and the database."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("VACUUM ANALYZE")
        sizes = {
            t: int(await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", t)) for t in SYNC_TABLES
        }
        sizes["total"] = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()
    return sizes
