"""The audit of reads: one ``audit_log`` row per API request that read personal data (PIPL, issue 9).

``GET /api/households``, ``GET /api/records/{id}`` and ``/history`` and ``GET /api/sync/pull`` each call
:func:`audit_read` once, after the read, with what it read as counts and ids — the member, the device,
the client address, how many households, ops or records, which record — never the data itself. A request
that read nothing (an empty pull or household page) writes no row.

Reads must not wait for writers (docs/security.md: a push holding the store's write lock never holds up a
pull). So the row is written in a transaction of its own that takes no global lock and does not wait for
one (``Store.write_nowait``): on PostgreSQL that always goes through at once; on SQLite it does whenever
the one writer is idle. When it is not, the row is kept in memory and written by a flush in the background
(``Store.write``, which does wait) within about a second, or together with the next read's row, whichever
comes first. A clean shutdown writes the rows still kept (:func:`close_read_audit`, from the app's
lifespan, before the store is closed); a process that dies in that second loses them: the known limit, in
docs/privacy.md.
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
RETRY_SECONDS = 0.5
_log = logging.getLogger("lianhu.audit")


class ReadAudit:
    """The read-audit rows of one store, written at once when the store lets us without waiting, else soon."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[dict[str, Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    @property
    def pending(self) -> int:
        """Rows kept in memory for the background flush."""
        return len(self._pending)

    async def record(
        self, kind: str, *, member_id: int, device_id: str, client: str | None, **detail: object
    ) -> None:
        """Write one read-audit row (with any rows still pending), or keep it for the background flush."""
        if kind not in READ_KINDS or kind not in KINDS:
            raise ValueError(f"unknown read-audit kind {kind!r}; add it to READ_KINDS and audit.KINDS")
        self._pending.append(
            {"at": utcnow(), "kind": kind, "member_id": member_id, "device_id": device_id,
             "client": client, "detail": detail}
        )  # fmt: skip
        rows, self._pending = self._pending, []
        try:
            async with self._store.write_nowait() as session:
                await session.execute(insert(AuditEvent), rows)
        except Busy:
            self._pending = rows + self._pending
            self._schedule()

    async def flush(self) -> None:
        """Write every pending row now, waiting for the store's writers if need be."""
        while self._pending:
            rows, self._pending = self._pending, []
            try:
                async with self._store.write() as session:
                    await session.execute(insert(AuditEvent), rows)
            except BaseException:
                self._pending = rows + self._pending
                raise

    def _schedule(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def close(self) -> None:
        """At shutdown: let the background flush finish at once (never cancelled: a task cancelled while
        it opens a connection would leave that connection unclosed), then write what is still pending."""
        self._closing.set()
        if self._flusher is not None:
            await self._flusher
        try:
            await self.flush()
        except Exception:  # Busy or a broken database: the rows are lost with the process; say so
            _log.exception("read-audit rows lost at shutdown: %d not written", len(self._pending))

    async def _flush_soon(self) -> None:
        while self._pending:
            if not self._closing.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=RETRY_SECONDS)
            try:
                await self.flush()
            except Busy:
                if self._closing.is_set():
                    return  # close() tries once more itself
                continue
            except Exception:  # a broken database: say so, keep the rows
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


async def audit_read(
    store: Store, principal: Principal, kind: str, *, client: str | None, **detail: object
) -> None:
    """Audit one read by ``principal``: ``detail`` holds counts and ids, never personal data."""
    await read_audit_of(store).record(
        kind, member_id=principal.member_id, device_id=principal.device_id, client=client, **detail
    )
