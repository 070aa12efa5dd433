"""SQLite through aiosqlite in one trip to the connection's thread per statement.

aiosqlite runs each SQLite connection on a thread of its own, and every call to it is a trip there and
back: the caller queues a function, the thread runs it, and the event loop is woken to take the result.
SQLAlchemy's aiosqlite adapter makes four such trips for every statement (make a cursor, execute, fetch
the rows, close the cursor). On the 2-core machines these figures come from, a trip costs the event loop
about 100 µs of CPU and 200 µs of wall time, and the statement itself about 15 µs: with some twenty
statements to a sync, the trips were a third of the server's CPU per sync (docs/performance.md).

This adapter keeps everything of SQLAlchemy's and aiosqlite's except the cursor: its ``execute`` and
``executemany`` run the statement, fetch every row and close the cursor in one function on the
connection's thread, then hand SQLAlchemy the rows, the description, the row count and the last row id
as a plain cursor would. Results are buffered exactly as SQLAlchemy's own cursor buffers them (it too
fetches every row at once). Server-side cursors (``stream_results``) are refused with a clear error: a
streamed query would run outside the transaction whose ``BEGIN`` still waits (below), and nothing here
streams from SQLite.

Two more trips a transaction are saved. A read transaction's ``BEGIN`` (``server.db`` emits it when a
transaction starts) travels with the statement that follows it, which SQLAlchemy sends right after. And
each trip brings back whether the connection is inside a transaction
(``sqlite3``'s own ``in_transaction``, read on the thread): ``commit`` and ``rollback`` make no trip when
it is not, as when the pool rolls back a connection it takes back right after its transaction ended.

It reaches into aiosqlite for the one thing it has no public call for, running a function on the
connection's thread (``Connection._execute``; SQLAlchemy's adapter itself reaches into aiosqlite's queue
to set ``isolation_level``). ``requirements.lock`` pins aiosqlite, the whole test suite runs on this
adapter, and tests/server/test_sqlite_driver.py counts its trips.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any, Final

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["one_trip_dbapi"]

_Outcome = tuple[Any, int, int | None, list[Any], bool]  # description, rowcount, lastrowid, rows, in tx


# A deferred BEGIN takes no lock and cannot fail: SQLite does nothing until the next statement, so sending
# it with that statement changes nothing but the trips. BEGIN IMMEDIATE (the writers') waits for the write
# lock and may give up: it keeps its own trip, so that its error is the transaction's, not a statement's.
_DEFERRED_BEGINS: Final = frozenset({"BEGIN", "BEGIN DEFERRED"})


def _run(db: sqlite3.Connection, begin: str | None, many: bool, operation: str, parameters: Any) -> _Outcome:
    """On the connection's thread: the transaction's ``begin`` if one waits, the statement, all its rows,
    and the cursor closed."""
    cursor = db.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows, db.in_transaction
    finally:
        cursor.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, with no aiosqlite cursor behind it: each statement is one trip."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # nothing to close on the thread: ``_run`` closed it

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:  # no trip to make one
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # the base class's close() then has nothing to do
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._trip(False, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._trip(True, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, many: bool, operation: str, parameters: Any) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: _OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            outcome: _Outcome
            if not many and not parameters and operation in _DEFERRED_BEGINS and not adapted.in_transaction:
                adapted.pending_begin = operation  # goes with the next statement
                outcome = (None, -1, None, [], True)
            else:
                begin, adapted.pending_begin = adapted.pending_begin, None
                adapted.in_transaction = True  # until the thread says otherwise (a failed statement won't)
                outcome = await connection._execute(  # type: ignore[no-untyped-call]
                    _run, connection._conn, begin, many, operation, parameters
                )
        self._description, self._rowcount, self._lastrowid, rows, adapted.in_transaction = outcome
        self._rows = collections.deque(rows)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction", "pending_begin")
    _cursor_cls = _OneTripCursor  # type: ignore[assignment]  # a subclass of the one declared

    def __init__(self, dbapi: Any, connection: Any) -> None:  # an aiosqlite.Connection
        super().__init__(dbapi, connection)
        # Whether SQLite may be inside a transaction: as the last statement's trip found it, and True after
        # a statement that failed, until a commit or rollback has gone through.
        self.in_transaction = True
        self.pending_begin: str | None = None  # a BEGIN not yet sent: nothing has happened in SQLite yet

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            raise NotImplementedError(
                "server-side cursors (stream_results) are not supported on SQLite (server/sqlite_driver.py)"
            )
        return super().cursor()

    def rollback(self) -> None:
        self._end(super().rollback)

    def commit(self) -> None:
        self._end(super().commit)

    def _end(self, end: Callable[[], None]) -> None:
        if self.pending_begin is not None:  # a transaction with no statement: nothing to end in SQLite
            self.pending_begin = None
        elif self.in_transaction:
            end()
        self.in_transaction = False


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> Any:
    """The DBAPI module to hand ``create_async_engine(..., module=...)`` for ``sqlite+aiosqlite`` URLs."""
    return _OneTripDBAPI(aiosqlite, sqlite3)
