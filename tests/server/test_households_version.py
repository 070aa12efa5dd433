"""Migration 0008: the database numbers every change of a household a phone sees, whoever writes it."""

from __future__ import annotations

from sqlalchemy import text

from server import migrate
from server.db import create_engine


async def test_the_version_follows_the_op_that_set_the_facts_or_the_next_op_number(
    database_url: str,
) -> None:
    await migrate.downgrade(database_url, "0007_console_indexes")
    engine = create_engine(database_url, writer=True)
    columns = "id, grid_id, building, unit, room, address, head_name, tags, care_level, residents, covered_by"
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO areas (id, level, name, code) VALUES (1, 'street', '街道', 'S'), "
                    "(2, 'community', '社区', 'S-1'), (3, 'grid', '第1网格', 'S-1-1')"
                )
            )
            for n, profile_seq in ((1, 41), (2, None)):
                await connection.execute(
                    text(
                        f"INSERT INTO households ({columns}, curtain_round, profile_seq) VALUES ('hh-{n}', "
                        f"3, '1', '1', '10{n}', '1-1-10{n}', '王', '[]', 'green', '[]', '[]', false, :seq)"
                    ),
                    {"seq": profile_seq},
                )
        await migrate.upgrade(database_url)

        async def versions() -> dict[str, int]:
            async with engine.connect() as connection:
                rows = await connection.execute(text("SELECT id, version FROM households ORDER BY id"))
                return {household_id: version for household_id, version in rows}

        migrated = await versions()
        async with engine.begin() as connection:  # an op on hh-1's own record (push sets profile_seq)
            await connection.execute(
                text("UPDATE households SET phone = '139', profile_seq = 57 WHERE id = 'hh-1'")
            )
        by_op = await versions()
        async with engine.begin() as connection:  # an import: no op; the op log's last number is 0 here
            await connection.execute(text("UPDATE households SET head_name = '李' WHERE id = 'hh-2'"))
            await connection.execute(
                text(
                    f"INSERT INTO households ({columns}, curtain_round) VALUES "
                    "('hh-3', 3, '1', '1', '103', '1-1-103', '张', '[]', 'green', '[]', '[]', false)"
                )
            )
        imported = await versions()
        async with engine.begin() as connection:  # the same values again: no new version
            await connection.execute(
                text("UPDATE households SET head_name = '李', phone = NULL WHERE id = 'hh-2'")
            )
        unchanged = await versions()
        async with engine.begin() as connection:  # a new last visit (push keeps it): the next op number
            await connection.execute(
                text("UPDATE households SET last_visit = '2026-11-30' WHERE id = 'hh-1'")
            )
        visited = await versions()
    finally:
        await engine.dispose()

    assert migrated == {"hh-1": 41, "hh-2": 0}
    assert by_op == {"hh-1": 57, "hh-2": 0}
    assert imported == {"hh-1": 57, "hh-2": 1, "hh-3": 1}
    assert unchanged == imported
    assert visited == {**imported, "hh-1": 1}
