"""The coordinators' console on 1,000,000 records (issue 7): the records list and the ledger exports.

    python -m bench.console                        1,000,000 records, SQLite then PostgreSQL
    python -m bench.console --records 100000       a quicker run
    python -m bench.console --databases sqlite     one database

Not a timed test: it prints figures and ratios against baselines measured in the same run.

1. **Load.** A street of 10 communities × 7 grids, 20,000 households, 8 members a grid with a phone each,
   and ``--records`` records (visits 65 %, curtain checks 20 %, requests 10 %, mediation 3 %, household
   edits 2 %) over two years, one op each and a second op by a colleague for one in ten. Each record's state
   is built by the sync library from its ops (``sync.apply_ops``), stored in the compact form, and indexed by
   the server's own rule (``server.domain.indexing.record_index``, ``request_facts``): the same columns push
   writes, bulk-inserted (SQLAlchemy Core ``executemany``, 5,000 rows a transaction) instead of through HTTP.
2. **The records list**, through the real app in-process (``httpx.ASGITransport``, a street coordinator's
   and a grid leader's session cookies): first pages and deep pages (the cursor of the row 100,000 or
   500,000 rows down) over random filters (area, type, stage, member, touched, date range, both sorts).
   p50 / p95 page time. Baseline in the same run: the same keyset query run bare on the driver (what the
   database alone costs), and the ``OFFSET`` query a naive list would run for the same deep page.
3. **Exports**, streamed through the app: a community's records list as CSV and one grid's standard
   ledgers as XLSX. Rows/s; baseline: a bare scan of the same rows and columns (state included).
4. **Plans**: ``EXPLAIN`` of the list's main queries on both databases (also written to the run folder).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from server import migrate
from server.app import create_app
from server.auth.principal import authenticate
from server.auth.sessions import COOKIE_NAME
from server.console.services.records_list import (
    LIST_COLUMNS,
    RecordFilter,
    _conditions,
    _Cursor,
    _encode,
    _segments,
)
from server.db import Store
from server.models import (
    RecordRow,
    Role,
)
from server.settings import Settings
from tests.server.factories import enroll_phone

from .lib.config import SECRET_KEY, finish, new_run
from .lib.console_data import DAYS, START, build_street, load
from .lib.postgres import create_database, shared
from .lib.servers import lianhu_servers


async def cookie_for(store: Store, settings: Settings, role: Role, areas: list[int]) -> tuple[str, Any]:
    phone = await enroll_phone(store, settings, name=f"bench-{role.value}", area_ids=areas, role=role)
    async with store.read() as session:
        principal = await authenticate(
            session,
            method="GET",
            cookie=phone.token,
            authorization=None,
            csrf_header=None,
            now=datetime.now(UTC),
        )
    return f"{COOKIE_NAME}={phone.token}", principal


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def raw_page(
    store: Store, principal: Any, wanted: RecordFilter, cursor: _Cursor | None, *, offset: int | None = None
) -> float:
    """The list's first segment query run bare (no app, no rendering): seconds. With ``offset``: the same
    page found by OFFSET instead of a keyset."""
    async with store.read() as session:
        conditions = await _conditions(session, principal, wanted)
        segment = _segments(wanted)[0]
        where = [*conditions, segment.where]
        if cursor is not None and offset is None:
            keys = segment.keys
            where.append(tuple_(*keys) < tuple_(*cursor.key) if len(keys) > 1 else keys[0] < cursor.key[0])
        query = select(*LIST_COLUMNS).where(*where).order_by(*(k.desc() for k in segment.keys)).limit(51)
        if offset is not None:
            query = query.offset(offset)
        began = time.perf_counter()
        (await session.execute(query)).all()
        return time.perf_counter() - began


async def cursor_at(store: Store, principal: Any, wanted: RecordFilter, depth: int) -> _Cursor | None:
    async with store.read() as session:
        conditions = await _conditions(session, principal, wanted)
        segment = _segments(wanted)[0]
        query = (
            select(*segment.keys)
            .where(*conditions, segment.where)
            .order_by(*(k.desc() for k in segment.keys))
            .offset(depth)
            .limit(1)
        )
        row = (await session.execute(query)).first()
        return _Cursor(0, tuple(row)) if row else None


def random_filter(rng: random.Random, street: dict[str, Any]) -> RecordFilter:
    grid_id, community_id = rng.choice(street["grids"])
    area = rng.choice([None, None, community_id, grid_id, street["street"]])
    kind = rng.choice([None, None, "visit", "request", "curtain_check", "mediation"])
    stage = {"visit": "not_home", "request": "collect", "curtain_check": "seen"}.get(kind or "")
    start = START + timedelta(days=rng.randrange(DAYS - 60))
    member = rng.choice(street["members"][grid_id])[0] if rng.random() < 0.2 else None
    return RecordFilter(
        area=area,
        type=kind,
        stage=stage if rng.random() < 0.3 else None,
        member=member,
        touched=member is not None and rng.random() < 0.5,
        date_from=start.isoformat() if rng.random() < 0.3 else None,
        date_to=(start + timedelta(days=60)).isoformat() if rng.random() < 0.3 else None,
        sort=rng.choice(["date", "date", "changed"]),
    )


async def measure_list(
    name: str, store: Store, settings: Settings, street: dict[str, Any], samples: int, total: int
) -> dict[str, Any]:
    app = create_app(settings)
    street_cookie, street_principal = await cookie_for(store, settings, Role.STREET, [street["street"]])
    grid_id = street["grids"][0][0]
    grid_cookie, grid_principal = await cookie_for(store, settings, Role.GRID_LEADER, [grid_id])
    rng = random.Random(3)
    slowest: list[tuple[float, float, list[tuple[str, str]]]] = []
    figures: dict[str, list[float]] = {
        "first": [],
        "deep": [],
        "grid_first": [],
        "raw_first": [],
        "raw_deep": [],
        "offset_deep": [],
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=120) as client:

            async def timed(cookie: str, params: list[tuple[str, str]]) -> float:
                began = time.perf_counter()
                response = await client.get("/console/records", params=params, headers={"Cookie": cookie})
                elapsed = time.perf_counter() - began
                assert response.status_code == 200, response.text[-500:]
                return elapsed

            for _ in range(samples):
                wanted = random_filter(rng, street)
                figures["first"].append(await timed(street_cookie, wanted.params()))
                figures["raw_first"].append(await raw_page(store, street_principal, wanted, None))
                slowest.append((figures["first"][-1], figures["raw_first"][-1], wanted.params()))
                figures["grid_first"].append(
                    await timed(grid_cookie, RecordFilter(sort=wanted.sort).params())
                )
            deep_filters = [RecordFilter(), RecordFilter(sort="changed"), RecordFilter(type="visit")]
            for i in range(samples):
                wanted = deep_filters[i % len(deep_filters)]
                depth = rng.choice([100_000, 250_000, 500_000]) * total // 1_000_000
                cursor = await cursor_at(store, street_principal, wanted, depth)
                if cursor is None:
                    continue
                figures["deep"].append(
                    await timed(street_cookie, [*wanted.params(), ("after", _encode(cursor))])
                )
                figures["raw_deep"].append(await raw_page(store, street_principal, wanted, cursor))
                if i < max(3, samples // 10):  # OFFSET is slow: a few samples are enough
                    figures["offset_deep"].append(
                        await raw_page(store, street_principal, wanted, cursor, offset=depth)
                    )
    del grid_principal
    print(f"\n{name}: the slowest first pages (app ms, bare query ms, filter)")
    for app_s, raw_s, params in sorted(slowest, key=lambda sample: sample[0], reverse=True)[:6]:
        print(f"  {1000 * app_s:8.1f} {1000 * raw_s:8.1f}  {params}")
    result = {
        key: {"p50_ms": 1000 * statistics.median(v), "p95_ms": 1000 * percentile(v, 0.95), "n": len(v)}
        for key, v in figures.items()
        if v
    }
    print(f"\n{name}: records list (ms)")
    for key, value in result.items():
        print(f"  {key:12} p50 {value['p50_ms']:8.1f}  p95 {value['p95_ms']:8.1f}  (n={value['n']})")
    ratio = result["deep"]["p95_ms"] / result["first"]["p95_ms"]
    print(
        f"  deep page p95 / first page p95: {ratio:.2f}; app first page p50 / bare query p50: "
        f"{result['first']['p50_ms'] / result['raw_first']['p50_ms']:.1f}; "
        f"OFFSET p50 / keyset bare p50 at the same depth: "
        f"{result['offset_deep']['p50_ms'] / result['raw_deep']['p50_ms']:.0f}"
    )
    return result


async def measure_exports(
    name: str, store: Store, settings: Settings, street: dict[str, Any], log_dir: Path
) -> dict[str, Any]:
    """Exports from a real ``lianhu serve`` (the ASGI test transport would buffer the whole body, hiding
    when the first byte leaves), read as a browser reads a download."""
    cookie, principal = await cookie_for(store, settings, Role.STREET, [street["street"]])
    community = street["communities"][0]
    grid_id = street["grids"][0][0]
    out: dict[str, Any] = {}
    with lianhu_servers(store.url, log_dir) as procs:
        async with httpx.AsyncClient(base_url=procs[0].url, timeout=3600) as client:
            for label, path, params in (
                ("csv_list_community", "/console/records/export", {"format": "csv", "area": community}),
                ("xlsx_ledgers_grid", "/console/ledgers/export", {"format": "xlsx", "area": grid_id}),
            ):
                began = time.perf_counter()
                first_byte = None
                size = 0
                headers = {"Cookie": cookie, "Accept-Encoding": "identity"}
                async with client.stream("GET", path, params=params, headers=headers) as response:
                    assert response.status_code == 200, response.status_code
                    async for chunk in response.aiter_raw():
                        first_byte = first_byte or time.perf_counter() - began
                        size += len(chunk)
                elapsed = time.perf_counter() - began
                async with store.read() as session:
                    if label.startswith("csv"):
                        where = [RecordRow.community_id == community, RecordRow.deleted.is_(False)]
                    else:
                        where = [
                            RecordRow.grid_id == grid_id,
                            RecordRow.deleted.is_(False),
                            RecordRow.type.in_(["visit", "curtain_check", "request", "mediation"]),
                        ]
                    scan_began = time.perf_counter()
                    rows = len(
                        (await session.execute(select(*LIST_COLUMNS, RecordRow.state).where(*where))).all()
                    )
                    scan = time.perf_counter() - scan_began
                out[label] = {
                    "rows": rows,
                    "seconds": elapsed,
                    "rows_per_s": rows / elapsed,
                    "first_byte_s": first_byte,
                    "bytes": size,
                    "scan_rows_per_s": rows / scan,
                }
                print(
                    f"  {name} {label}: {rows:,} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
                    f"(first byte {first_byte:.2f} s, {size / 1e6:.1f} MB); "
                    f"bare scan {rows / scan:,.0f} rows/s; "
                    f"ratio {(rows / elapsed) / (rows / scan):.3f}"
                )
    del principal
    return out


async def explain(name: str, store: Store, street: dict[str, Any], principal: Any) -> str:
    dialect = sqlite.dialect() if store.is_sqlite else postgresql.dialect()
    lines = []
    cases = {
        "street, all, by date": RecordFilter(),
        "street, by change": RecordFilter(sort="changed"),
        "a community's visits": RecordFilter(area=street["communities"][0], type="visit"),
        "a grid": RecordFilter(area=street["grids"][0][0]),
        "a member, touched": RecordFilter(
            member=street["members"][street["grids"][0][0]][0][0], touched=True
        ),
    }
    async with store.read() as session:
        for label, wanted in cases.items():
            conditions = await _conditions(session, principal, wanted)
            segment = _segments(wanted)[0]
            query = (
                select(*LIST_COLUMNS)
                .where(*conditions, segment.where)
                .order_by(*(k.desc() for k in segment.keys))
                .limit(51)
            )
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if store.is_sqlite else "EXPLAIN "
            plan = (await session.execute(text(prefix + sql))).all()
            lines.append(f"-- {name}: {label}")
            lines.extend(str(row[-1]) for row in plan)
    report = "\n".join(lines)
    print(report)
    return report


async def run_one(
    name: str,
    url: str,
    street_of: dict[str, Any],
    samples: int,
    total: int,
    out: dict[str, Any],
    log_dir: Path,
) -> None:
    settings = Settings(database_url=url, origin="http://localhost", rp_id="localhost", secret_key=SECRET_KEY)
    store = Store(url, statement_timeout=600)
    try:
        _, principal = await cookie_for(store, settings, Role.STREET, [street_of["street"]])
        out[name] = {
            "plans": await explain(name, store, street_of, principal),
            "list": await measure_list(name, store, settings, street_of, samples, total),
            "exports": await measure_exports(name, store, settings, street_of, log_dir),
        }
    finally:
        await store.dispose()


async def main_async(args: argparse.Namespace) -> None:
    run = new_run(1)
    urls: dict[str, str] = {}
    if "sqlite" in args.databases:
        urls["sqlite"] = f"sqlite+aiosqlite:///{run.path('console.sqlite3')}"
    if "postgresql" in args.databases:
        urls["postgresql"] = create_database(shared(run), "console_bench")
    try:
        stores, streets = {}, {}
        for name, url in urls.items():
            await migrate.upgrade(url)
            stores[name] = Store(url, statement_timeout=600)
            streets[name] = await build_street(stores[name])
        # Same ids in both databases (areas, members and devices are made in the same order, device ids from
        # them): rows generated once are valid in each.
        first = streets[next(iter(streets))]
        assert all(
            s["grids"] == first["grids"] and s["members"] == first["members"] for s in streets.values()
        )
        began = time.perf_counter()
        spent = await load(stores, streets, args.records)
        print(
            f"loaded {args.records:,} records in {time.perf_counter() - began:.0f} s: "
            + ", ".join(
                f"{name} {args.records / seconds:,.0f} records/s of inserts"
                for name, seconds in spent.items()
            )
        )
        for store in stores.values():
            await store.dispose()
        results: dict[str, Any] = {"records": args.records, "load_seconds": spent}
        for name, url in urls.items():
            fresh = Store(url, statement_timeout=600)
            async with fresh.write() as session:  # planner statistics, as after any bulk load
                await session.execute(text("ANALYZE"))
            await fresh.dispose()
            await run_one(name, url, streets[name], args.samples, args.records, results, run.dir)
        path = run.path("console-results.json")
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
        print(f"\nresults: {path}")
    finally:
        finish(run)  # stops the cluster; deletes the run's files unless LIANHU_BENCH_KEEP=1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=60, help="pages measured per kind")
    parser.add_argument("--databases", default="sqlite,postgresql")
    asyncio.run(main_async(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
