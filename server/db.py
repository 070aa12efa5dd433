"""Database engines and the transactions the server uses: ``read``, ``write`` and ``write_nowait``.

Writes are serialized. That is what lets the pull cursor be a plain sequence number: an op gets its ``seq``
inside a write transaction and nobody else can take a ``seq`` until that transaction has committed, so ops
become visible in ``seq`` order and a reader that has seen ``seq`` N will never later find a smaller one.

- SQLite (embedded default): one writer connection that opens its transactions with ``BEGIN IMMEDIATE``,
  WAL journal so readers never block the writer, ``synchronous=FULL`` so a commit is on disk before we answer.
- PostgreSQL (scale-out): every write transaction first takes a transaction-level advisory lock, which also
  serializes writers across several server processes.

Nothing waits without a bound (issue 9, hole 7). ``lock_timeout`` bounds every wait for a lock: this
process's writer lock, the PostgreSQL advisory lock and row locks (``lock_timeout``), SQLite's file lock
(``busy_timeout``) and a pooled connection. ``statement_timeout`` bounds every PostgreSQL statement (and
the client gives up on a silent server a little later). Past a bound the transaction rolls back and
:class:`~server.errors.Busy` (503 with ``Retry-After``) says so: the client tries again later.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.errors import Busy
from server.group_commit import GroupCommitter
from server.services.scope import ScopeCache
from server.sqlite_driver import one_trip_dbapi

__all__ = ["Store", "StoreNotWritable", "create_engine"]

T = TypeVar("T")

# Arbitrary but fixed key of the PostgreSQL advisory lock that serializes writers.
WRITE_LOCK_KEY = 0x6C69616E6875  # "lianhu"
# SQLSTATEs of a PostgreSQL statement that gave up waiting: lock_not_available (lock_timeout, NOWAIT),
# query_canceled (statement_timeout), idle_in_transaction_session_timeout.
_PG_GAVE_UP = {"55P03", "57014", "25P03"}


class StoreNotWritable(RuntimeError):
    """The database refuses writes (read-only file, mount or PostgreSQL): the server must not start."""


def create_engine(
    url: str,
    *,
    writer: bool = False,
    lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    pool_timeout: float | None = None,
    durable: bool = True,
) -> AsyncEngine:
    """An async engine for ``url``; on SQLite, ``writer`` makes it the single ``BEGIN IMMEDIATE`` writer,
    and ``durable=False`` lets its commits return before they reach the disk (``synchronous=NORMAL``: a
    commit survives the process dying, not the machine losing power).

    Without timeouts (migrations) nothing is bounded but SQLite's file-lock wait (10 s). A pooled
    connection is waited for ``pool_timeout``, by default ``lock_timeout``.
    """
    is_sqlite = url.startswith("sqlite")
    options: dict[str, Any] = {}
    if is_sqlite:
        options.update(module=one_trip_dbapi())  # one trip to aiosqlite's thread per statement
    if is_sqlite and writer:
        options.update(pool_size=1, max_overflow=0)
    if pool_timeout is not None or lock_timeout is not None:
        options.update(pool_timeout=pool_timeout if pool_timeout is not None else lock_timeout)
    if not is_sqlite and (lock_timeout is not None or statement_timeout is not None):
        settings: dict[str, str] = {}
        if lock_timeout is not None:
            settings["lock_timeout"] = str(_ms(lock_timeout))
        if statement_timeout is not None:
            settings["statement_timeout"] = str(_ms(statement_timeout))
            # A transaction left open by a stuck process must not keep the advisory lock for ever.
            settings["idle_in_transaction_session_timeout"] = str(_ms(statement_timeout))
        connect_args: dict[str, Any] = {"server_settings": settings}
        if statement_timeout is not None:  # a server that does not answer at all (network gone)
            connect_args["command_timeout"] = statement_timeout + 5
        if lock_timeout is not None:
            connect_args["timeout"] = max(lock_timeout, 5)
        options.update(connect_args=connect_args)
    engine = create_async_engine(url, **options)
    if is_sqlite:
        busy_ms = 10_000 if lock_timeout is None else _ms(lock_timeout)
        _configure_sqlite(
            engine, begin="BEGIN IMMEDIATE" if writer else "BEGIN", busy_ms=busy_ms, durable=durable
        )
    return engine


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _configure_sqlite(engine: AsyncEngine, *, begin: str, busy_ms: int, durable: bool) -> None:
    # SQLAlchemy's documented recipe: turn off the sqlite3 module's own transaction handling and emit BEGIN
    # ourselves, so that SELECTs and DDL run inside real transactions too.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        synchronous = "FULL" if durable else "NORMAL"
        for pragma in (
            "journal_mode=WAL",
            f"synchronous={synchronous}",
            "foreign_keys=ON",
            f"busy_timeout={busy_ms}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


def gave_up_waiting(error: BaseException) -> bool:
    """Whether a database error means a lock or statement bound ran out (so: busy, try again)."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if getattr(error.orig, "sqlstate", None) in _PG_GAVE_UP:
        return True
    if isinstance(error.orig, TimeoutError):
        return True
    message = str(error.orig).lower()
    return "database is locked" in message or "database table is locked" in message


def _concurrent_conflict(error: DBAPIError) -> bool:
    """A deadlock, a serialization failure or a unique violation between concurrent pushes."""
    return getattr(error.orig, "sqlstate", None) in {"40P01", "40001", "23505"}


class Store:
    """The server's handle on the database."""

    def __init__(
        self, url: str, *, lock_timeout: float = 5, statement_timeout: float = 30, queue_timeout: float = 30
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.lock_timeout = lock_timeout
        self._read_engine = create_engine(url, lock_timeout=lock_timeout, statement_timeout=statement_timeout)
        # Writers have a pool of their own, so that reads never queue for a connection behind them. On
        # PostgreSQL a push waits for a pooled connection up to ``queue_timeout``: every holder is bounded by
        # lock and statement timeouts, so the pool always moves, and a burst of pushes waits its turn
        # instead of being turned away after ``lock_timeout`` (SQLite: the group commit's queue).
        self._write_engine = create_engine(
            url,
            writer=True,
            lock_timeout=lock_timeout,
            statement_timeout=statement_timeout,
            pool_timeout=None if self.is_sqlite else max(queue_timeout, lock_timeout),
        )
        # SQLite: best-effort writes take the file lock only if it is free this instant (busy_timeout 0),
        # and commit without waiting for the disk (see write_nowait).
        self._nowait_engine = (
            create_engine(url, lock_timeout=0, statement_timeout=statement_timeout, durable=False)
            if self.is_sqlite
            else self._read_engine
        )
        self._read_sessions = async_sessionmaker(self._read_engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self._write_engine, expire_on_commit=False)
        self._nowait_sessions = async_sessionmaker(self._nowait_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()
        self._grouped = GroupCommitter(self.write, lock_timeout=lock_timeout, queue_timeout=queue_timeout)
        # Members' scopes, kept while the database's scope generation stands still (one cache per database).
        self.scopes = ScopeCache()

    def _busy(self, what: str) -> Busy:
        return Busy(
            f"{what} did not come within {self.lock_timeout:g} s; try again",
            retry_after=math.ceil(self.lock_timeout),
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot; anything written through it is rolled back. Never waits for writers."""
        try:
            async with self._read_sessions() as session:
                yield session
        except (DBAPIError, PoolTimeout) as error:
            if gave_up_waiting(error):
                raise self._busy("the database's answer") from error
            raise

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A serialized write transaction that commits (durably) when the block exits without error.

        Raises :class:`~server.errors.Busy` when the write lock (this process's, then the database's) is
        not free within ``lock_timeout`` each, or a statement runs out of time; nothing is then stored.
        """
        try:
            await asyncio.wait_for(self._write_lock.acquire(), timeout=self.lock_timeout)
        except TimeoutError:
            raise self._busy("the write lock") from None
        try:
            async with self._write_sessions() as session, session.begin():
                if not self.is_sqlite:
                    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
                yield session
        except (DBAPIError, PoolTimeout) as error:
            if gave_up_waiting(error):
                raise self._busy("the write lock") from error
            raise
        finally:
            self._write_lock.release()

    async def write_grouped(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a push's ``work`` and return its result once it is durably committed.

        SQLite: pushes that wait for the one writer share a transaction and a commit (group commit,
        ``server.group_commit``), each in its own savepoint when there are several. PostgreSQL:
        :meth:`write_ops`.
        """
        if self.is_sqlite:
            return await self._grouped.run(work)
        async with self.write_ops() as session:
            return await work(session)

    @asynccontextmanager
    async def write_ops(self) -> AsyncIterator[AsyncSession]:
        """The transaction a push stores its ops in. On SQLite it is :meth:`write` (one writer). On
        PostgreSQL pushes run concurrently, in this process and in others: each locks the record rows it
        changes (in id order) and draws its sequence numbers under a short lock that also marks it as in
        flight until it commits (``server.services.log_end``), which keeps the pull cursor gap-free.

        A conflict with a concurrent push — a deadlock, or two pushes creating the same record or storing
        the same op at once — rolls back and raises :class:`~server.errors.Busy`: the client sends the
        batch again and it is judged against what the other push stored.
        """
        if self.is_sqlite:
            async with self.write() as session:
                yield session
            return
        try:
            async with self._write_sessions() as session, session.begin():
                yield session
        except (DBAPIError, PoolTimeout) as error:
            if gave_up_waiting(error) or (isinstance(error, DBAPIError) and _concurrent_conflict(error)):
                raise Busy(
                    "a concurrent write touched the same records; nothing was stored, try again",
                    retry_after=1,
                ) from error
            raise

    @asynccontextmanager
    async def write_nowait(self) -> AsyncIterator[AsyncSession]:
        """A small write outside the serialized writers, for bookkeeping that may be skipped (a session's
        last-seen time, a read-audit row): it never waits for a lock held by anyone else but raises
        ``Busy`` at once, and it never waits for the disk either: the commit is visible at once and survives
        the server process dying, but not a power cut in the next fraction of a second (PostgreSQL's
        ``synchronous_commit = off``, SQLite's ``synchronous = NORMAL``). That saves a pull a disk flush.

        It must not create ops (those need :meth:`write`, which keeps the pull cursor gap-free).
        """
        try:
            async with self._nowait_sessions() as session, session.begin():
                if not self.is_sqlite:  # lock_timeout 0 would mean "no limit": the smallest bound there is
                    await session.execute(
                        text(
                            "SELECT set_config('lock_timeout', '1ms', true), "
                            "set_config('synchronous_commit', 'off', true)"
                        )
                    )
                yield session
        except (DBAPIError, PoolTimeout) as error:
            if gave_up_waiting(error):
                raise self._busy("a lock") from error
            raise

    async def check_writable(self) -> None:
        """Refuse to serve from a database that cannot store anything (raise :class:`StoreNotWritable`).

        Done at start-up, so a read-only file, mount or PostgreSQL standby is reported once, clearly,
        instead of as a 500 on the first push. Nothing is changed: the probe is rolled back.
        """
        try:
            async with self._write_engine.connect() as connection:
                probe = await connection.begin()
                try:
                    if self.is_sqlite:  # SQLite opens a read-only file without complaint; only a write tells
                        await connection.execute(text("CREATE TABLE lianhu_write_probe (x INTEGER)"))
                        return
                    read_only = await connection.scalar(
                        text("SELECT current_setting('transaction_read_only')")
                    )
                finally:
                    await probe.rollback()
        except DBAPIError as error:
            raise StoreNotWritable(
                f"the database {_safe(self.url)} cannot be written: {error.orig}; check the file's "
                "permissions and its folder's, the mount, and the disk space"
            ) from None
        if read_only == "on":
            raise StoreNotWritable(
                f"the database {_safe(self.url)} is read-only (a standby, or default_transaction_read_only "
                "is on): the server cannot store anything"
            )

    async def dispose(self) -> None:
        await self._read_engine.dispose()
        for engine in {self._write_engine, self._nowait_engine} - {self._read_engine}:
            await engine.dispose()


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
