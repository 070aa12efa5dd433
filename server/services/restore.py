"""Restore without un-erasing (``lianhu db restore``): a backup older than an erasure holds the erased data
again, so the erasure register of the store being replaced is carried across and applied again.

1. read the register of the current store (none if the store or its table does not exist yet), add the
   entries of any register files given, and write them to a file first (``var/erasure-register-*.json``),
   so that a crash from here on loses nothing: ``lianhu db restore FILE --register THAT_FILE`` again;
2. restore the backup (``services/backup.py``);
3. upgrade the restored store to the current schema (a backup from before the register existed);
4. apply every entry again (``services/erasure.py`` :func:`~server.services.erasure.reapply`): records
   present un-erased are erased with their original erase op, households' facts are cleared again, and
   the register gets the entries it lacks; audited ``erasures_reapplied``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from server import migrate
from server.db import Store
from server.services import backup
from server.services.audit import audit
from server.services.erasure import RegisterEntry, in_write, read_register, reapply

__all__ = ["Restored", "load_register_file", "restore_keeping_erasures"]


@dataclass(frozen=True)
class Restored:
    entries: int  # register entries carried across
    from_store: int  # of them, read from the store that was replaced (the rest from register files)
    records: int  # records erased again (the backup still held them)
    register_copy: Path

    def to_json(self) -> dict[str, object]:
        return {
            "entries": self.entries,
            "from_store": self.from_store,
            "erased_again": self.records,
            "register_copy": str(self.register_copy),
        }


def load_register_file(path: Path) -> list[RegisterEntry]:
    """The entries of a register copy written by :func:`restore_keeping_erasures`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [RegisterEntry.from_json(item) for item in data["entries"]]


async def _current_register(url: str) -> list[RegisterEntry]:
    if url.startswith("sqlite") and not _sqlite_file_exists(url):
        return []
    store = Store(url)
    try:
        async with store.read() as session:
            return await read_register(session)
    except (OperationalError, ProgrammingError, DBAPIError, OSError):
        return []  # no store there yet, or one from before the register existed
    finally:
        await store.dispose()


async def restore_keeping_erasures(
    url: str, source: Path, *, copy_dir: Path, extra: Sequence[RegisterEntry] = (), now: datetime
) -> Restored:
    """Replace the store at ``url`` with the backup ``source`` and apply the erasure register again."""
    current = await _current_register(url)
    entries = _union([*current, *extra])
    copy = _write_copy(copy_dir, entries, now)
    await backup.restore(url, source)
    await migrate.upgrade(url)
    store = Store(url)
    try:

        async def work(session: AsyncSession) -> int:
            erased = await reapply(session, entries, now=now)
            await audit(
                session, "erasures_reapplied", entries=len(entries), records=len(erased), backup=source.name
            )
            return len(erased)

        records = await in_write(store, work)
    finally:
        await store.dispose()
    return Restored(entries=len(entries), from_store=len(current), records=records, register_copy=copy)


def _sqlite_file_exists(url: str) -> bool:
    return Path(url.split(":///", 1)[1]).exists()


def _write_copy(copy_dir: Path, entries: Sequence[RegisterEntry], now: datetime) -> Path:
    copy_dir.mkdir(parents=True, exist_ok=True)
    copy = copy_dir / f"erasure-register-{now:%Y%m%dT%H%M%S%fZ}.json"
    text = json.dumps(
        {"written_at": now.isoformat(), "entries": [e.to_json() for e in entries]}, ensure_ascii=False
    )
    copy.write_text(text, encoding="utf-8")
    return copy


def _union(entries: Sequence[RegisterEntry]) -> list[RegisterEntry]:
    seen: set[tuple[str, str | None, str]] = set()
    out = []
    for entry in entries:
        key = (
            entry.household_id,
            entry.record_id,
            entry.erased_at.isoformat() if entry.record_id is None else "",
        )
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out
