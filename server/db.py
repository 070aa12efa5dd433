"""Database engines and the two kinds of transaction the server uses: ``read`` and ``write``.

Writes are serialized. That is what lets the pull cursor be a plain sequence number: an op gets its ``seq``
inside a write transaction and nobody else can take a ``seq`` until that transaction has committed, so ops
become visible in ``seq`` order and a reader that has seen ``seq`` N will never later find a smaller one.

- SQLite (embedded default): one writer connection that opens its transactions with ``BEGIN IMMEDIATE``,
  WAL journal so readers never block the writer, ``synchronous=FULL`` so a commit is on disk before we answer.
- PostgreSQL (scale-out): every write transaction first takes a transaction-level advisory lock, which also
  serializes writers across several server processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

__all__ = ["Store", "create_engine"]

# Arbitrary but fixed key of the PostgreSQL advisory lock that serializes writers.
WRITE_LOCK_KEY = 0x6C69616E6875  # "lianhu"


def create_engine(url: str, *, writer: bool = False) -> AsyncEngine:
    """An async engine for ``url``; on SQLite, ``writer`` makes it the single ``BEGIN IMMEDIATE`` writer."""
    is_sqlite = url.startswith("sqlite")
    options: dict[str, Any] = {}
    if is_sqlite and writer:
        options.update(pool_size=1, max_overflow=0)
    engine = create_async_engine(url, **options)
    if is_sqlite:
        _configure_sqlite(engine, begin="BEGIN IMMEDIATE" if writer else "BEGIN")
    return engine


def _configure_sqlite(engine: AsyncEngine, *, begin: str) -> None:
    # SQLAlchemy's documented recipe: turn off the sqlite3 module's own transaction handling and emit BEGIN
    # ourselves, so that SELECTs and DDL run inside real transactions too.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


class Store:
    """The server's handle on the database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._read_engine = create_engine(url)
        self._write_engine = create_engine(url, writer=True) if self.is_sqlite else self._read_engine
        self._read_sessions = async_sessionmaker(self._read_engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self._write_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot; anything written through it is rolled back."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A serialized write transaction that commits (durably) when the block exits without error."""
        async with self._write_lock, self._write_sessions() as session, session.begin():
            if not self.is_sqlite:
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            yield session

    async def dispose(self) -> None:
        await self._read_engine.dispose()
        if self._write_engine is not self._read_engine:
            await self._write_engine.dispose()
