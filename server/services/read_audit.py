"""The audit of reads: one ``audit_log`` row per API request that read personal data (PIPL, issue 9).

``GET /api/households``, ``GET /api/records/{id}`` and ``/history`` and ``GET /api/sync/pull`` each call
:func:`audit_read` once, after the read, with what it read as counts and ids — the member, the device,
the client address, how many households, ops or records, which record — never the data itself. A request
that read nothing (an empty pull or household page) writes no row.

Reads must not wait for writers (docs/security.md: a push holding the store's write lock never holds up a
pull), and a write transaction per read would cost each pull more than its read (issue 8: on SQLite every
pull then also took the one writer for a moment). So a read's row is kept in memory and written in the
background together with the other reads' rows of that moment, within ``FLUSH_SECONDS`` (at once when
``BATCH_ROWS`` are waiting): in a transaction that waits for no writer (``Store.write_nowait``) when the
store allows, else in one that waits its turn (``Store.write``). A clean shutdown writes the rows still
kept (:func:`close_read_audit`, from the app's lifespan, before the store is closed); a process that dies
loses the rows of its last moment: the known limit, in docs/privacy.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any

from sqlalchemy import insert

from server.auth.principal import Principal
from server.db import Store
from server.errors import Busy
from server.models import AuditEvent
from server.models.base import utcnow
from server.services.audit import KINDS

__all__ = ["READ_KINDS", "ReadAudit", "audit_read", "close_read_audit", "read_audit_of"]

READ_KINDS = ("households_listed", "record_read", "history_read", "ops_pulled")
FLUSH_SECONDS = 0.25  # a read's row is written within this (if the database lets it)
BATCH_ROWS = 200  # … or at once when this many rows are waiting
_log = logging.getLogger("lianhu.audit")


class ReadAudit:
    """The read-audit rows of one store, kept for a moment and written many to a transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[dict[str, Any]] = []
        self._writing = 0  # rows taken from ``_pending`` by a write that has not committed yet
        self._flusher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # closing, or a full batch waiting
        self._closing = False

    @property
    def pending(self) -> int:
        """Rows kept in memory, not written yet."""
        return len(self._pending) + self._writing

    def record(
        self, kind: str, *, member_id: int, device_id: str, client: str | None, **detail: object
    ) -> None:
        """Keep one read-audit row for the background flush (which this starts if it is not running)."""
        if kind not in READ_KINDS or kind not in KINDS:
            raise ValueError(f"unknown read-audit kind {kind!r}; add it to READ_KINDS and audit.KINDS")
        self._pending.append(
            {"at": utcnow(), "kind": kind, "member_id": member_id, "device_id": device_id,
             "client": client, "detail": detail}
        )  # fmt: skip
        if len(self._pending) >= BATCH_ROWS:
            self._wake.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def flush(self) -> None:
        """Write every pending row now, waiting for the store's writers if need be."""
        while self._pending:
            await self._write(wait=True)

    async def _write(self, *, wait: bool) -> None:
        """Write the pending rows in one transaction (``wait``: for the store's writers, else ``Busy``);
        if that fails they stay pending."""
        rows, self._pending = self._pending, []
        self._writing += len(rows)
        try:
            async with self._store.write() if wait else self._store.write_nowait() as session:
                await session.execute(insert(AuditEvent), rows)
        except BaseException:
            self._pending = rows + self._pending
            raise
        finally:
            self._writing -= len(rows)

    async def close(self) -> None:
        """At shutdown: let the background flush finish at once (never cancelled: a task cancelled while
        it opens a connection would leave that connection unclosed), then write what is still pending."""
        self._closing = True
        self._wake.set()
        if self._flusher is not None:
            await self._flusher
        try:
            await self.flush()
        except Exception:  # Busy or a broken database: the rows are lost with the process; say so
            _log.exception("read-audit rows lost at shutdown: %d not written", len(self._pending))

    async def _flush_soon(self) -> None:
        while self._pending:
            if not self._closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=FLUSH_SECONDS)
                if not self._closing:
                    self._wake.clear()
            try:
                try:
                    await self._write(wait=False)
                except Busy:  # SQLite's one writer is busy: wait for it
                    await self.flush()
            except Busy:
                if self._closing:
                    return  # close() tries once more itself
            except Exception:  # a broken database: say so, keep the rows (the next read tries again)
                _log.exception("read-audit rows not written yet: %d pending", len(self._pending))
                return


_AUDITS: weakref.WeakKeyDictionary[Store, ReadAudit] = weakref.WeakKeyDictionary()


async def close_read_audit(store: Store) -> None:
    """Write the read-audit rows ``store`` still keeps in memory (if it ever kept any): at shutdown."""
    audit = _AUDITS.pop(store, None)
    if audit is not None:
        await audit.close()


def read_audit_of(store: Store) -> ReadAudit:
    """The one :class:`ReadAudit` of ``store`` (made on first use)."""
    audit = _AUDITS.get(store)
    if audit is None:
        audit = _AUDITS[store] = ReadAudit(store)
    return audit


def audit_read(
    store: Store, principal: Principal, kind: str, *, client: str | None, **detail: object
) -> None:
    """Audit one read by ``principal``: ``detail`` holds counts and ids, never personal data."""
    read_audit_of(store).record(
        kind, member_id=principal.member_id, device_id=principal.device_id, client=client, **detail
    )
