"""Run the Alembic migrations in ``server/migrations`` against a database URL (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from server.db import create_engine

__all__ = ["alembic_config", "downgrade", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at ``url`` to ``revision`` (default: every head — parallel branches of work may
    each add a migration after the same parent), creating the SQLite file's folder if needed."""
    if url.startswith("sqlite") and ":memory:" not in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    await _run(url, command.upgrade, revision)


async def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (used by the migration tests)."""
    await _run(url, command.downgrade, revision)


async def _run(url: str, alembic_command: Callable[[Config, str], None], revision: str) -> None:
    engine = create_engine(url, writer=True)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync_conn: alembic_command(alembic_config(sync_conn), revision))
    finally:
        await engine.dispose()
