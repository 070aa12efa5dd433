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
fetches every row at once). A server-side cursor (``stream_results``; nothing here asks for one today)
would still be SQLAlchemy's own.

It reaches into aiosqlite for the one thing it has no public call for, running a function on the
connection's thread (``Connection._execute``, as SQLAlchemy's adapter does for ``isolation_level``);
``requirements.lock`` pins aiosqlite, and the whole test suite runs on this adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["one_trip_dbapi"]

_Outcome = tuple[Any, int, int | None, list[Any]]  # description, rowcount, lastrowid, rows


def _run(db: sqlite3.Connection, many: bool, operation: str, parameters: Any) -> _Outcome:
    """On the connection's thread: the statement, all its rows, and the cursor closed."""
    cursor = db.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
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
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, many, operation, parameters
            )
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor  # type: ignore[assignment]  # a subclass of the one declared


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return _OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> Any:
    """The DBAPI module to hand ``create_async_engine(..., module=...)`` for ``sqlite+aiosqlite`` URLs."""
    return _OneTripDBAPI(aiosqlite, sqlite3)
