"""Benchmark 6 — storage per record: the server's store (SQLite file, PostgreSQL relations) and a phone's
IndexedDB, against the raw JSON of the ops they hold.

    python -m bench storage

Raw JSON is the UTF-8 canonical JSON of every op as the devices sent it (~460 bytes each). The server
figure is the whole SQLite file after a checkpoint (as the issue measured: 5.1×), split into the op log and
the records table; on PostgreSQL, ``pg_total_relation_size`` of the two sync tables and the database. The
phone figure is what Chromium counts for IndexedDB (``navigator.storage.estimate()``) on a grid member's
phone after its first sync, against the raw JSON of that grid's ops.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .lib import browser as b
from .lib import fixtures, postgres, sizes
from .lib.config import Run
from .lib.fixtures import copy_sqlite
from .lib.ops import json_bytes
from .lib.report import Row, fmt_bytes
from .lib.servers import lianhu_servers

NAME = "storage"


def _postgres(run: Run) -> dict[str, int]:
    """The same community on PostgreSQL (the fan-in's database if it ran in this run)."""
    built = fixtures.community_postgres(run)
    pg = asyncio.run(sizes.postgres_sizes(postgres.shared(run).url(built.database)))
    pg["raw"] = sum(json_bytes(op) for mine in built.ops for op in mine)
    return pg


def _phone(run: Run, built: fixtures.Built) -> dict[str, Any]:
    url = copy_sqlite(built.path, run.path(NAME, "lianhu.sqlite3"))
    grid = built.world.devices[0]
    code = asyncio.run(fixtures.new_member_code(url, grid.grid_id))
    with (
        lianhu_servers(url, run.path("logs")) as (server,),
        b.chromium() as browser,
        b.phone(browser) as (_, page),
    ):
        b.enrolled_phone(page, server.url, code)
        usage = b.idb_usage(page)
    mine = set(grid.households)
    grid_ops = [op for ops in built.ops for op in ops if op["household"] in mine]
    return {**usage, "raw": sum(json_bytes(op) for op in grid_ops), "ops": len(grid_ops)}


def run(run: Run) -> list[Row]:
    built = fixtures.community_sqlite(run)
    ops = [op for mine in built.ops for op in mine]
    raw = sum(json_bytes(op) for op in ops)
    records = len({op["record"] for op in ops})
    target = run.path(NAME, "sizes.sqlite3")
    copy_sqlite(built.path, target)
    lite = sizes.sqlite_sizes(target)
    pg = _postgres(run)
    print("  a grid member's phone syncs its grid …", flush=True)
    phone = _phone(run, built)

    def row(measure: str, total: int, raw_bytes: int, split: str, numbers: dict[str, Any]) -> Row:
        ratio = total / raw_bytes
        shown = f"{fmt_bytes(total)} ({total / records:,.0f} B/record)"
        return Row(NAME, measure, shown, split, f"{ratio:.1f}×", "≤ 2×", ratio <= 2, numbers)

    sqlite_split = f"ops {fmt_bytes(lite['ops'])}, records {fmt_bytes(lite['records'])}"
    pg_split = (
        f"ops {fmt_bytes(pg['ops'])}, records {fmt_bytes(pg['records'])}; database {fmt_bytes(pg['total'])}"
    )
    idb = phone["indexedDB"]
    return [
        row(f"server storage, SQLite file: {len(ops):,} ops / {records:,} records, {fmt_bytes(raw)} raw JSON",
            lite["total"], raw, sqlite_split, {**lite, "raw": raw}),
        row("server storage, PostgreSQL (ops + records relations)", pg["ops"] + pg["records"], pg["raw"],
            pg_split, pg),
        Row(NAME, f"phone storage, IndexedDB, {phone['ops']:,} ops of one grid", fmt_bytes(idb),
            f"raw JSON {fmt_bytes(phone['raw'])}", f"{idb / phone['raw']:.1f}×", "(shown)", None, phone),
    ]  # fmt: skip
