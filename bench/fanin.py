"""Benchmark 1 — fan-in over HTTP: a year of visits (100,000 ops) from 50 devices in batches of 200.

    python -m bench fanin

Side by side in one run, on the same ops:
- Lianhu: a real ``lianhu serve`` on SQLite, then on PostgreSQL (one process), pushed by the same Node
  client that pushes to PouchDB; server CPU time read from the kernel.
- PouchDB → express-pouchdb (LevelDB on disk): the same ops as documents, the same batches, the same client.
- Floors: the rows Lianhu stored, inserted again with raw ``sqlite3`` / ``asyncpg``
  (bench/lib/raw_inserts.py).
- pycrdt: the same ops merged in-process by Yrs (bench/lib/yjs_peer.py).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from .lib import fixtures, postgres, raw_inserts, yjs_peer
from .lib.config import Run
from .lib.fixtures import Community, copy_sqlite
from .lib.node import run_node_json
from .lib.report import Row, fmt_rate, fmt_s
from .lib.servers import lianhu_servers, pouchdb_server, put_json

NAME = "fanin"
BATCH = 200


def _plan(path: Path, url: str, kind: str, world: Community, ops: list[list[dict[str, Any]]]) -> Path:
    batches: list[tuple[int, str]] = []
    for n, mine in enumerate(ops):
        for start in range(0, len(mine), BATCH):
            chunk = mine[start : start + BATCH]
            if kind == "lianhu":
                body = {"ops": chunk}
            else:  # one CouchDB document per op, as a PouchDB app storing the op log would
                body = {
                    "docs": [{"_id": op["id"], **{k: v for k, v in op.items() if k != "id"}} for op in chunk]
                }
            batches.append((n, json.dumps(body, ensure_ascii=False, separators=(",", ":"))))
    headers = [d.headers if kind == "lianhu" else {} for d in world.devices[: len(ops)]]
    path.write_text(json.dumps({"url": url, "kind": kind, "headers": headers, "batches": batches}), "utf-8")
    return path


def _push(plan: Path, expected: int, ok: str) -> dict[str, Any]:
    result: dict[str, Any] = run_node_json("push-client.mjs", plan)
    if result["results"].get(ok, 0) != expected:
        raise RuntimeError(f"expected {expected} {ok}, got {result['results']} (HTTP {result['statuses']})")
    return result


def _lianhu_fanin(
    run: Run, url: str, world: Community, ops: list[list[dict[str, Any]]], label: str
) -> dict[str, Any]:
    total = sum(map(len, ops))
    with lianhu_servers(url, run.path("logs")) as (server,):
        plan = _plan(
            run.path(NAME, f"plan-{label}.json"), server.url + "/api/sync/push", "lianhu", world, ops
        )
        cpu = server.cpu_seconds()
        result = _push(plan, total, "accepted")
        result["server_cpu_s"] = server.cpu_seconds() - cpu
    plan.unlink()
    return result


def _pouch_fanin(run: Run, world: Community, ops: list[list[dict[str, Any]]]) -> dict[str, Any]:
    data = run.path(NAME, "pouchdb", "x").parent
    with pouchdb_server(data, run.path("logs")) as pouch:
        put_json(pouch.url + "/visits")
        plan = _plan(run.path(NAME, "plan-pouch.json"), pouch.url + "/visits/_bulk_docs", "pouch", world, ops)
        cpu = pouch.cpu_seconds()
        result = _push(plan, sum(map(len, ops)), "ok")
        result["server_cpu_s"] = pouch.cpu_seconds() - cpu
    plan.unlink()
    shutil.rmtree(data, ignore_errors=True)
    return result


def _sqlite_side(run: Run) -> dict[str, Any]:
    size = fixtures.community_size(run.sized)
    base = run.path(NAME, "base.sqlite3")
    world = asyncio.run(
        fixtures.build_community(
            f"sqlite+aiosqlite:///{base}", households=size["households"], grids=size["grids"]
        )
    )
    ops = fixtures.year_of_visits(world.devices, ops=size["ops"])
    total = sum(map(len, ops))
    print(f"  fan-in on SQLite: {total:,} ops from {len(ops)} devices …", flush=True)
    served = run.path(NAME, "lianhu.sqlite3")
    lianhu = _lianhu_fanin(run, copy_sqlite(base, served), world, ops, "sqlite")
    fixtures.CACHE["sqlite"] = fixtures.Built(served, world, ops)  # the community for the later benchmarks
    print("  fan-in on PouchDB …", flush=True)
    pouch = _pouch_fanin(run, world, ops)
    print("  raw sqlite3 inserts of the same rows …", flush=True)
    rows = raw_inserts.sqlite_rows(served)
    raw_ops = raw_inserts.insert_sqlite(Path(copy_sqlite(base, run.path(NAME, "raw1.sqlite3")).split(":///")[1]),
                                        rows, with_records=False)  # fmt: skip
    raw_both = raw_inserts.insert_sqlite(Path(copy_sqlite(base, run.path(NAME, "raw2.sqlite3")).split(":///")[1]),
                                         rows, with_records=True)  # fmt: skip
    print("  pycrdt applying the same ops …", flush=True)
    crdt = yjs_peer.apply_fanin(ops)
    return {
        "ops": total,
        "lianhu": lianhu,
        "pouch": pouch,
        "raw_ops_s": raw_ops,
        "raw_both_s": raw_both,
        "pycrdt": crdt,
    }


async def _pg_raw(base_url: str, lianhu_url: str, cluster: Any) -> dict[str, float]:
    rows = await raw_inserts.asyncpg_rows(lianhu_url)
    base = base_url.rsplit("/", 1)[1]
    ops_url = postgres.create_database(cluster, "raw_ops", base)
    both_url = postgres.create_database(cluster, "raw_both", base)
    return {
        "raw_ops_s": await raw_inserts.insert_asyncpg(ops_url, rows, with_records=False),
        "raw_both_s": await raw_inserts.insert_asyncpg(both_url, rows, with_records=True),
    }


def _postgres_side(run: Run) -> dict[str, Any]:
    size = fixtures.community_size(run.sized)
    cluster = postgres.shared(run)
    base_url = postgres.create_database(cluster, "fanin_base")
    world = asyncio.run(
        fixtures.build_community(base_url, households=size["households"], grids=size["grids"])
    )
    ops = fixtures.year_of_visits(world.devices, ops=size["ops"])
    url = postgres.create_database(cluster, "fanin_lianhu", "fanin_base")
    print(f"  fan-in on PostgreSQL: {sum(map(len, ops)):,} ops, one server process …", flush=True)
    db_cpu = postgres.cluster_cpu_seconds(cluster)
    lianhu = _lianhu_fanin(run, url, world, ops, "pg")
    lianhu["db_cpu_s"] = postgres.cluster_cpu_seconds(cluster) - db_cpu
    fixtures.CACHE["postgres"] = fixtures.BuiltPg("fanin_lianhu", world, ops)  # the community, later
    print("  raw asyncpg inserts of the same rows …", flush=True)
    raw = asyncio.run(_pg_raw(base_url, url, cluster))
    for name in ("raw_ops", "raw_both"):
        postgres.psql(cluster, f"DROP DATABASE {name}")
    return {"ops": sum(map(len, ops)), "lianhu": lianhu, **raw}


def run(run: Run) -> list[Row]:
    lite = _sqlite_side(run)
    pg = _postgres_side(run)
    return rows(lite, pg)


def rows(lite: dict[str, Any], pg: dict[str, Any]) -> list[Row]:
    n = lite["ops"]
    ours, pouch = lite["lianhu"], lite["pouch"]
    rate = n / ours["elapsed_s"]
    t_ratio = ours["elapsed_s"] / pouch["elapsed_s"]
    c_ratio = ours["server_cpu_s"] / pouch["server_cpu_s"]
    raw_ops, raw_both = n / lite["raw_ops_s"], n / lite["raw_both_s"]
    pg_rate = pg["ops"] / pg["lianhu"]["elapsed_s"]
    pg_ops, pg_both = pg["ops"] / pg["raw_ops_s"], pg["ops"] / pg["raw_both_s"]
    crdt_rate = n / lite["pycrdt"]["seconds"]
    return [
        Row(NAME, f"fan-in {n:,} ops, SQLite: time", f"{fmt_s(ours['elapsed_s'])} ({fmt_rate(rate)})",
            f"PouchDB {fmt_s(pouch['elapsed_s'])}", f"{t_ratio:.2f}×", "≤ 0.5× PouchDB", t_ratio <= 0.5,
            {"lianhu": ours, "pouchdb": pouch}),
        Row(NAME, "fan-in, SQLite: server CPU", fmt_s(ours["server_cpu_s"]),
            f"PouchDB {fmt_s(pouch['server_cpu_s'])}",
            f"{c_ratio:.2f}×", "≤ 0.5× PouchDB", c_ratio <= 0.5),
        Row(NAME, "push vs raw sqlite3, ops + records rows", fmt_rate(rate), fmt_rate(raw_both, "rows/s"),
            f"{rate / raw_both:.1%}", "≥ 50 %", rate / raw_both >= 0.5, {"raw_s": lite["raw_both_s"]}),
        Row(NAME, "push vs raw sqlite3, ops rows only", fmt_rate(rate), fmt_rate(raw_ops, "rows/s"),
            f"{rate / raw_ops:.1%}", "(shown)", None, {"raw_s": lite["raw_ops_s"]}),
        Row(NAME, f"fan-in {pg['ops']:,} ops, PostgreSQL (1 process)", f"{fmt_s(pg['lianhu']['elapsed_s'])} "
            f"({fmt_rate(pg_rate)})", f"raw asyncpg {fmt_rate(pg_both, 'rows/s')}",
            f"{pg_rate / pg_both:.1%}",
            "≥ 50 % of raw", pg_rate / pg_both >= 0.5, {"lianhu": pg["lianhu"], "raw_s": pg["raw_both_s"]}),
        Row(NAME, "push vs raw asyncpg, ops rows only", fmt_rate(pg_rate), fmt_rate(pg_ops, "rows/s"),
            f"{pg_rate / pg_ops:.1%}", "(shown)", None, {"raw_s": pg["raw_ops_s"]}),
        Row(NAME, "fan-in, PostgreSQL: CPU app + database", f"{fmt_s(pg['lianhu']['server_cpu_s'])} + "
            f"{fmt_s(pg['lianhu']['db_cpu_s'])}", "—", "—", "(shown)", None),
        Row(NAME, "merge the same ops in-process (SQLite fan-in vs pycrdt)", fmt_rate(rate),
            f"pycrdt {fmt_rate(crdt_rate)}", f"{rate / crdt_rate:.1%}", "(shown)", None, lite["pycrdt"]),
    ]  # fmt: skip
