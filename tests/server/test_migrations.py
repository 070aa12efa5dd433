from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from server import migrate
from server.db import create_engine
from server.models import Base


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"render_as_batch": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = create_engine(database_url, writer=True)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_upgrading_from_0001_keeps_assignments_and_retires_token_devices(database_url: str) -> None:
    await migrate.downgrade(database_url, "0001")
    engine = create_engine(database_url, writer=True)
    try:
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO areas (id, level, name, code) VALUES (1, 'street', '街道', 'S'), "
                "(2, 'community', '社区', 'S-1'), (3, 'grid', '第1网格', 'S-1-1')",
                "UPDATE areas SET parent_id = id - 1 WHERE id > 1",
                "INSERT INTO members (id, name, role, active, created_at) VALUES (1, '李华', 'member', true, "
                "CURRENT_TIMESTAMP)",
                "INSERT INTO member_grids (member_id, grid_id) VALUES (1, 3)",
                "INSERT INTO devices (id, member_id, label, token_hash, created_at) "
                "VALUES ('d1', 1, '', 'h', CURRENT_TIMESTAMP)",
            ):
                await connection.execute(text(statement))
        await migrate.upgrade(database_url)
        async with engine.connect() as connection:
            assignment = (await connection.execute(text("SELECT member_id, area_id FROM assignments"))).all()
            revoked = (await connection.execute(text("SELECT revoked_at IS NOT NULL FROM devices"))).scalar()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in assignment] == [(1, 3)]
    assert revoked


def test_the_migrations_have_one_head() -> None:
    # Parallel work may add migrations after the same parent; a merge revision must join them again, so
    # that `alembic upgrade head` works and the next migration knows its one parent.
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(scripts.get_heads()) == 1, scripts.get_heads()
