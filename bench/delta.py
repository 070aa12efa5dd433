"""Benchmark 3 — delta after 200 edits on another device: a grid member's phone is up to date; a colleague's
device edits 200 visits of that grid; the phone taps 同步 on a 10 Mbit/s, 100 ms RTT link.

    python -m bench delta

Reports the bytes the round received: the pull pages (what the issue measured, 65 KB today) and the whole
round (``/api/me``, push, pull, the household list and the members the round fetches again), and how long
the round took from the tap.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

from .lib import browser as b
from .lib import fixtures
from .lib.config import Run
from .lib.fixtures import Device, copy_sqlite
from .lib.ops import VisitWriter
from .lib.report import Row, fmt_bytes, fmt_s
from .lib.servers import lianhu_servers

NAME = "delta"
EDITS = 200
LINK = (10.0, 100.0)


def push(base_url: str, device: Device, ops: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        base_url + "/api/sync/push", method="POST",
        data=json.dumps({"ops": ops}, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **device.headers},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as response:
        results = json.loads(response.read())["results"]
    if any(r["status"] != "accepted" for r in results):
        raise RuntimeError(f"an edit was not accepted: {results[:3]}")


def edits(device: Device, own_ops: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` edits of the device's visits (new notes), stamped now; distinct visits while there are
    enough (at a small scale some visits are edited twice)."""
    records = list(dict.fromkeys((op["record"], op["household"]) for op in own_ops))
    writer = VisitWriter(
        device.device_id, device.households, seed=3, start_ms=time.time_ns() // 1_000_000, step_ms=1
    )
    return [writer.edit(*records[n % len(records)]) for n in range(count)]


def run(run: Run) -> list[Row]:
    built = fixtures.community_sqlite(run)
    url = copy_sqlite(built.path, run.path(NAME, "lianhu.sqlite3"))
    colleague, own_ops = built.world.devices[0], built.ops[0]
    code = asyncio.run(fixtures.new_member_code(url, colleague.grid_id))
    changes = edits(colleague, own_ops, EDITS)
    with (
        lianhu_servers(url, run.path("logs")) as (server,),
        b.chromium() as browser,
        b.phone(browser) as (_, page),
    ):
        print(
            f"  a phone of grid 1 ({len(own_ops):,} ops) syncs, then {len(changes)} edits elsewhere …",
            flush=True,
        )
        b.enrolled_phone(page, server.url, code)
        link = b.Link(page)
        link.throttle(mbit_s=LINK[0], rtt_ms=LINK[1])
        push(server.url, colleague, changes)
        started = time.monotonic()
        b.sync_now(page)
        seconds = time.monotonic() - started
        got = {
            "seconds": seconds,
            "bytes": link.bytes_since(started),
            "pull_bytes": link.bytes_since(started, "/api/sync/pull"),
            "households_bytes": link.bytes_since(started, "/api/households"),
            "edits": len(changes),
        }
    pull, whole = got["pull_bytes"], got["bytes"]
    return [
        Row(
            NAME,
            f"delta after {len(changes)} edits on another device: pull bytes",
            fmt_bytes(pull),
            goal="< 20 KB",
            met=pull < 20_000,
            numbers=got,
        ),
        Row(
            NAME,
            "delta: the whole sync round, bytes",
            fmt_bytes(whole),
            peer=f"of which households {fmt_bytes(got['households_bytes'])}",
            goal="< 20 KB",
            met=whole < 20_000,
        ),
        Row(NAME, "delta: the round's time at 10 Mbit/s, 100 ms RTT", fmt_s(seconds), goal="(shown)"),
    ]
