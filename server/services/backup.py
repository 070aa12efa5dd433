"""Backup and restore of the whole store (issue 9, PIPL: a documented, tested restore).

- SQLite: the online backup API (``sqlite3.Connection.backup``), which copies a consistent snapshot while
  the server keeps running (readers and the writer are not stopped); the copy is checked with
  ``PRAGMA integrity_check`` before it is called done. Restore copies a checked backup over the database
  with the same API (stop the server first).
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot, server running) and ``pg_restore --clean
  --if-exists --single-transaction`` into the database (stop the servers first).

Both are run by ``lianhu db backup FILE`` / ``lianhu db restore FILE``; tests/server/test_backup.py is the
restore drill: data written after a backup is gone after restoring it, data written before is all there,
and the server works on the restored store.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["BackupError", "backup", "restore"]


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why and what to do."""


def _sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def _check(path: Path) -> None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{path} failed its integrity check: {verdict}")


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = ["--host", parsed.host or "localhost", "--port", str(parsed.port or 5432),
            "--username", parsed.username or "postgres", "--dbname", parsed.database or ""]  # fmt: skip
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([tool, *command[1:]], env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[:2000]}")


def _backup(url: str, target: Path) -> None:
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file (a backup never overwrites one)")
    if url.startswith("sqlite"):
        _sqlite_copy(_sqlite_path(url), target)
        _check(target)
        return
    args, env = _pg_args(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)


def _restore(url: str, source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    if url.startswith("sqlite"):
        _check(source)
        database = _sqlite_path(url)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        _sqlite_copy(source, database)
        _check(database)
        return
    args, env = _pg_args(url)
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
        env,
    )


async def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the store at ``url`` to the new file ``target``."""
    await asyncio.to_thread(_backup, url, target)


async def restore(url: str, source: Path) -> None:
    """Replace the store at ``url`` with the backup ``source`` (no server may be using it)."""
    await asyncio.to_thread(_restore, url, source)
