"""Benchmark 5 — 500 simulated devices syncing against the server: throughput, p50/p99, errors.

    python -m bench devices

Paced (what a street's phones do): every device syncs every 10 s — a push of 5 new visits, then pulls from
its cursor until ``more`` is false — for 60 s, open loop, driven by two Node processes
(bench/js/devices-client.mjs; their CPU is reported so one can see they are not the bottleneck). On SQLite
with one ``lianhu serve``, and on PostgreSQL with two. Devices start up to date (their cursor at the end of
the log) in the community with its year of visits; the pulls run while other devices push, which is the
issue's "reads never wait for writers".

Saturated (capacity): wrk with a Lua script (bench/wrk/push.lua) pushes 5-op batches as fast as 48
connections allow, for 20 s: SQLite with one process, PostgreSQL with one and with two processes (the
scale-out goal: two processes ≥ 1.6× one).
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg

from server.services.cursors import CursorBox

from .lib import fixtures, postgres
from .lib.config import BENCH_DIR, SECRET_KEY, Run
from .lib.fixtures import Device, copy_sqlite
from .lib.ops import visit_notes
from .lib.report import Row, fmt_rate, percentile
from .lib.servers import lianhu_servers

NAME = "devices"
INTERVAL_S = 10
OPS_PER_PUSH = 5
CONNECTIONS = 48
CLIENT_PROCESSES = 2


def _end_cursor(url: str) -> str:
    """A cursor at the end of the log: the devices have synced before the measurement starts."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.split(":///", 1)[1])) as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM ops").fetchone()[0]
    else:

        async def fetch() -> int:
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                return int(await conn.fetchval("SELECT COALESCE(MAX(seq), 0) FROM ops"))
            finally:
                await conn.close()

        seq = asyncio.run(fetch())
    return CursorBox(SECRET_KEY).seal(int(seq))


def _devices(run: Run, url: str, world: fixtures.Community, count: int) -> list[Device]:
    extra = asyncio.run(fixtures.add_devices(url, world, max(0, count - len(world.devices))))
    return (world.devices + extra)[:count]


def paced(
    run: Run, url: str, devices: list[Device], *, processes: int, duration: int, label: str
) -> dict[str, Any]:
    rng = random.Random(5)
    with lianhu_servers(url, run.path("logs"), count=processes) as servers:
        cursor = _end_cursor(url)
        plan = {
            "urls": [s.url for s in servers], "duration_s": duration, "interval_s": INTERVAL_S,
            "ops_per_push": OPS_PER_PUSH, "notes": [visit_notes(rng) for _ in range(50)],
            "devices": [{"url": n % processes, "token": d.token, "replica": d.device_id,
                         "households": d.households, "cursor": cursor} for n, d in enumerate(devices)],
        }  # fmt: skip
        path = run.path(NAME, f"plan-{label}.json")
        path.write_text(json.dumps(plan, ensure_ascii=False), "utf-8")
        cpu = sum(s.cpu_seconds() for s in servers)
        clients = [
            subprocess.Popen(["node", str(BENCH_DIR / "js" / "devices-client.mjs"), str(path), str(k),
                              str(CLIENT_PROCESSES)], cwd=BENCH_DIR, stdout=subprocess.PIPE, text=True)
            for k in range(CLIENT_PROCESSES)
        ]  # fmt: skip
        outs = [
            json.loads(c.communicate(timeout=duration + 600)[0].strip().splitlines()[-1]) for c in clients
        ]
        server_cpu = sum(s.cpu_seconds() for s in servers) - cpu
    merged: dict[str, Any] = {"errors": {}, "push_ms": [], "pull_ms": [], "server_cpu_s": server_cpu}
    for out in outs:
        for key in ("syncs", "late", "missed", "accepted", "rejected", "pulled", "client_cpu_s"):
            merged[key] = merged.get(key, 0) + out[key]
        merged["push_ms"] += out["push_ms"]
        merged["pull_ms"] += out["pull_ms"]
        for key, n in out["errors"].items():
            merged["errors"][key] = merged["errors"].get(key, 0) + n
        merged["elapsed_s"] = max(merged.get("elapsed_s", 0), out["elapsed_s"])
    merged["devices"], merged["duration_s"] = len(devices), duration
    return merged


def saturated(run: Run, url: str, devices: list[Device], *, processes: int, duration: int) -> dict[str, Any]:
    files: list[Path] = []
    for k in range(processes):
        path = run.path(NAME, f"devices-{k}.txt")
        mine = devices[k::processes]
        path.write_text("".join(f"{d.token} {d.device_id} {','.join(d.households)}\n" for d in mine), "utf-8")
        files.append(path)
    with lianhu_servers(url, run.path("logs"), count=processes) as servers:
        script = str(BENCH_DIR / "wrk" / "push.lua")
        wrks = [
            subprocess.Popen(["wrk", "-t1", f"-c{CONNECTIONS // processes}", f"-d{duration}s", "--timeout",
                              "30s", "-s", script, server.url, "--", str(path), str(OPS_PER_PUSH)],
                             stdout=subprocess.PIPE, text=True)
            for server, path in zip(servers, files, strict=True)
        ]  # fmt: skip
        outs = [json.loads(w.communicate(timeout=duration + 120)[0].strip().splitlines()[-1]) for w in wrks]
    ok = sum(o["ok"] for o in outs)
    seconds = max(o["duration_us"] for o in outs) / 1e6
    errors = sum(o["rejected"] + o["other"] + sum(o["errors"].values()) for o in outs)
    return {"pushes_per_s": ok / seconds, "ops_per_s": ok * OPS_PER_PUSH / seconds, "errors": errors,
            "p99_ms": max(o["latency_ms"]["p99"] for o in outs), "wrk": outs}  # fmt: skip


def run(run: Run) -> list[Row]:
    count = run.sized(500, minimum=100)
    duration, burst = run.sized(60, minimum=20), run.sized(20, minimum=10)
    lite = fixtures.community_sqlite(run)
    lite_url = copy_sqlite(lite.path, run.path(NAME, "lianhu.sqlite3"))
    print(f"  enrolling {count} devices on SQLite …", flush=True)
    lite_devices = _devices(run, lite_url, lite.world, count)
    pg = fixtures.community_postgres(run)
    cluster = postgres.shared(run)
    pg_url = postgres.create_database(cluster, "devices", pg.database)
    print(f"  enrolling {count} devices on PostgreSQL …", flush=True)
    pg_devices = _devices(run, pg_url, pg.world, count)
    results: dict[str, Any] = {}
    print(f"  paced: {count} devices, a sync every {INTERVAL_S} s for {duration} s, SQLite …", flush=True)
    results["paced_sqlite"] = paced(
        run, lite_url, lite_devices, processes=1, duration=duration, label="sqlite"
    )
    print("  paced, PostgreSQL with 2 server processes …", flush=True)
    results["paced_pg2"] = paced(run, pg_url, pg_devices, processes=2, duration=duration, label="pg2")
    bursts = [("sat_sqlite", lite_url, lite_devices, 1), ("sat_pg1", pg_url, pg_devices, 1),
              ("sat_pg2", pg_url, pg_devices, 2)]  # fmt: skip
    for label, url, devs, processes in bursts:
        print(f"  saturated pushes ({label}) for {burst} s …", flush=True)
        results[label] = saturated(run, url, devs, processes=processes, duration=burst)
    return rows(results, count)


def _paced_rows(label: str, r: dict[str, Any]) -> list[Row]:
    errors = sum(r["errors"].values())
    push50, push99 = percentile(r["push_ms"], 50), percentile(r["push_ms"], 99)
    pull99 = percentile(r["pull_ms"], 99)
    offered = r["devices"] / INTERVAL_S
    client_share = r["client_cpu_s"] / r["elapsed_s"] / CLIENT_PROCESSES
    return [
        Row(NAME, f"{r['devices']} devices, 5-op push + pull every 10 s, {label}: push",
            f"p50 {push50:.0f} ms, p99 {push99:.0f} ms, {errors} errors",
            f"offered {offered:.0f} syncs/s, done {r['syncs'] / r['elapsed_s']:.1f}/s ({r['late']} late, "
            f"{r['missed']} missed); clients {client_share:.0%} CPU each", "—", "0 errors, p99 < 500 ms",
            errors == 0 and push99 < 500, {k: v for k, v in r.items() if not k.endswith("_ms")}),
        Row(NAME, f"pulls while pushes run, {label}: pull", f"p50 {percentile(r['pull_ms'], 50):.0f} ms, "
            f"p99 {pull99:.0f} ms", f"{len(r['pull_ms'])} pulls", "—", "reads never wait (p99 < 500 ms)",
            pull99 < 500),
    ]  # fmt: skip


def rows(results: dict[str, Any], count: int) -> list[Row]:
    out = _paced_rows("SQLite", results["paced_sqlite"]) + _paced_rows("PostgreSQL ×2", results["paced_pg2"])
    lite, one, two = results["sat_sqlite"], results["sat_pg1"], results["sat_pg2"]
    gain = two["ops_per_s"] / one["ops_per_s"]
    out += [
        Row(NAME, "saturated 5-op pushes, SQLite (1 process): capacity", fmt_rate(lite["ops_per_s"]),
            f"{lite['pushes_per_s']:.0f} syncs/s; p99 {lite['p99_ms']:.0f} ms; {lite['errors']} errors",
            goal="(shown)", numbers=lite),
        Row(NAME, "scale-out: PostgreSQL, 2 server processes vs 1, saturated", fmt_rate(two["ops_per_s"]),
            f"1 process {fmt_rate(one['ops_per_s'])}", f"{gain:.2f}×", "≥ 1.6×", gain >= 1.6,
            {"one": one, "two": two}),
    ]  # fmt: skip
    return out
