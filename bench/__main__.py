"""Push throughput of the real service layer against raw sqlite3 inserts of the same rows, in one run.

    python -m bench            (or `make bench`)

The baseline is what the disk and SQLite alone can do on this machine right now; the ratio says how much
the op validation, scoping, merge and ORM cost on top. Machines here are shared and noisy, so only the
ratio within one run means anything.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from server import migrate
from server.auth.principal import authenticate
from server.db import Store
from server.services.push import PushLimits, push_ops
from server.settings import Settings
from sync import canonical_json
from tests.server.factories import make_world

OPS = 5_000
BATCH = 250


async def measure_push(directory: Path) -> float:
    url = f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"
    await migrate.upgrade(url)
    store = Store(url)
    world = await make_world(store, Settings(database_url=url, secret_key="b" * 40))
    phone = world.alice
    async with store.read() as session:
        principal = await authenticate(
            session, method="POST", cookie=None, authorization=f"Bearer {phone.token}", csrf_header=None,
            now=datetime.now(UTC),
        )  # fmt: skip
    limits = PushLimits(max_op_bytes=65536, max_clock_ahead_ms=86_400_000)
    batches = [
        [phone.op(household=world.households_a[n % 3]) for n in range(BATCH)] for _ in range(OPS // BATCH)
    ]
    started = time.perf_counter()
    for batch in batches:
        async with store.write() as session:
            results = await push_ops(
                session, principal, batch, limits=limits, now_ms=time.time_ns() // 1_000_000
            )
        assert all(r.status == "accepted" for r in results)
    elapsed = time.perf_counter() - started
    await store.dispose()
    return OPS / elapsed


def measure_baseline(directory: Path) -> float:
    """The same number of op-sized rows, inserted with plain sqlite3 in the same batches and durability."""
    db = sqlite3.connect(directory / "baseline.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE ops (seq INTEGER PRIMARY KEY, op_id TEXT UNIQUE, body TEXT)")
    body = canonical_json({"fields": {"date": "2026-11-21", "notes": "老人身体尚好"}, "kind": "set"})
    started = time.perf_counter()
    for b in range(OPS // BATCH):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO ops (op_id, body) VALUES (?, ?)", ((f"{b}-{n}", body) for n in range(BATCH))
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return OPS / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        baseline = measure_baseline(directory)
        push = asyncio.run(measure_push(directory))
    print(f"raw sqlite3 inserts : {baseline:10,.0f} ops/s (baseline)")
    print(f"push_ops (SQLite)   : {push:10,.0f} ops/s")
    print(f"ratio push/baseline : {push / baseline:10.3f}")


if __name__ == "__main__":
    main()
