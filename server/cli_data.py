"""The ``lianhu`` commands that keep the data: ``db upgrade``, ``reindex``, ``rebuild-records``, ``backup``
and ``restore``, ``retention run``, ``resident export`` and ``erase`` — and the helpers every command
shares (:func:`emit`, :func:`with_store`). ``server.cli`` builds the parser and holds the other commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server import migrate
from server.db import Store
from server.services import backup, record_index, resident, restore, retention
from server.settings import PROJECT_ROOT, Settings

__all__ = [
    "db_backup",
    "db_rebuild_records",
    "db_reindex",
    "db_restore",
    "db_upgrade",
    "emit",
    "resident_erase",
    "resident_export",
    "retention_run",
    "with_store",
]


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False) if args.json else text)


async def with_store(settings: Settings, work: Callable[[Store], Awaitable[int]]) -> int:
    store = Store(settings.database_url)
    try:
        return await work(store)
    finally:
        await store.dispose()


async def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    await migrate.upgrade(settings.database_url)

    async def work(store: Store) -> int:
        async with store.write() as session:
            indexed = await record_index.index_missing(session)
            with_events = await record_index.events_missing(session)
        if indexed or with_events:
            print(f"indexed {indexed} records, and the work events of {with_events}, written before them")
        return 0

    await with_store(settings, work)
    print(f"database is up to date: {settings.database_url}")
    return 0


async def records_pass(
    args: argparse.Namespace,
    settings: Settings,
    run: Callable[[AsyncSession], Awaitable[int]],
    key: str,
    said: str,
) -> int:
    """One pass over every record in one write transaction; says how many (``said`` takes ``{}``)."""

    async def work(store: Store) -> int:
        async with store.write() as session:
            count = await run(session)
        emit(args, {key: count}, said.format(count))
        return 0

    return await with_store(settings, work)


async def db_reindex(args: argparse.Namespace, settings: Settings) -> int:
    return await records_pass(
        args, settings, record_index.reindex_all, "reindexed", "recomputed the index columns of {} records"
    )


async def db_rebuild_records(args: argparse.Namespace, settings: Settings) -> int:
    return await records_pass(
        args, settings, record_index.rebuild_from_log, "rebuilt", "rebuilt {} records from the op log"
    )


async def db_backup(args: argparse.Namespace, settings: Settings) -> int:
    try:
        await backup.backup(settings.database_url, Path(args.file))
    except backup.BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    emit(args, {"backup": args.file}, f"backup written to {args.file}")
    return 0


async def db_restore(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url
    copy_dir = Path(url.split(":///", 1)[1]).parent if url.startswith("sqlite") else PROJECT_ROOT / "var"
    try:
        extra = [entry for path in args.register or [] for entry in restore.load_register_file(Path(path))]
        done = await restore.restore_keeping_erasures(
            url, Path(args.file), copy_dir=copy_dir, extra=extra, now=datetime.now(UTC)
        )
    except (backup.BackupError, OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    emit(
        args,
        {"restored": args.file, **done.to_json()},
        f"database restored from {args.file}; erasure register: {done.entries} entries applied again "
        f"({done.from_store} from the replaced store), {done.records} records erased again; "
        f"a copy of the register is in {done.register_copy}",
    )
    return 0


async def retention_run(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        report = await retention.run_retention(
            store, settings.retention, now=datetime.now(UTC), dry_run=args.dry_run
        )
        verb = "would erase" if report.dry_run else "erased"
        lines = [f"{rule}: {count}" for rule, count in report.counts.items()]
        emit(args, report.to_json(), f"{verb} {report.total} records\n" + "\n".join(lines))
        return 0

    return await with_store(settings, work)


async def resident_export(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        try:
            async with store.write() as session:
                data = await resident.export_household(
                    session, args.household, by=args.by, client=None, now=datetime.now(UTC)
                )
        except resident.ErasureRefused as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        if args.out is None:
            print(json.dumps(data, ensure_ascii=False, indent=2))
            return 0
        out = Path(args.out)
        resident.write_export(data, out)
        summary = {"household": args.household, "records": len(data["records"]), "out": str(out)}
        emit(args, summary, f"household {args.household}: {len(data['records'])} records written to {out}")
        return 0

    return await with_store(settings, work)


async def resident_erase(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        try:
            done = await resident.erase_household(
                store, args.household, requested_by=args.by, now=datetime.now(UTC)
            )
        except resident.ErasureRefused as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        emit(
            args,
            done.to_json(),
            f"household {done.household_id}: {done.records} records erased "
            f"({done.already} erased before); its facts cleared; phones delete them at their next sync",
        )
        return 0

    return await with_store(settings, work)
