"""Benchmark 2 — first sync of a 20,000-household community with a year of records (~100,000 ops) on a
grid-station tablet: a fresh Chromium profile enrolls the community coordinator (社区) through the real app
over a throttled link, and we time it until the tablet is usable offline.

    python -m bench first_sync

Two links, each a fresh profile: 10 Mbit/s with 100 ms RTT (the goal: usable offline in < 10 s), and a
weak 1.6 Mbit/s with 400 ms RTT (reported; it may be cut off at LIANHU_BENCH_WEAK_TIMEOUT seconds, 240 by
default, and then says "> N s").

"Usable offline" is: the households and the open work are stored in IndexedDB — the app says so with
``data-sync-usable`` on its header once the first sync has stored them while older history streams in
behind (an app without that attribute: once the first sync round has finished) — and the service worker
controls the page. The clock starts when the enrollment link is opened, so it includes loading the app,
enrolling (a shared tablet, device key) and deriving the PIN key. The whole history is timed too (the
first round's end, cut off at the link's timeout). To prove the state is usable, the tablet then goes
offline, reloads, unlocks with the PIN and must list households and visits (that reopen is timed too).
Bytes are what the page received over the wire (CDP), up to usable and up to the end of the first round.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .lib import browser as b
from .lib import fixtures
from .lib.config import Run
from .lib.fixtures import copy_sqlite
from .lib.report import Row, fmt_bytes, fmt_s
from .lib.servers import lianhu_servers

NAME = "first_sync"
LINKS = {"10 Mbit/s, 100 ms RTT": (10.0, 100.0), "1.6 Mbit/s, 400 ms RTT": (1.6, 400.0)}


def reopen_offline(page: Page, timeout: float = 60) -> dict[str, Any]:
    """Cut the network, reload, unlock with the PIN: households and then visits must be listed. A step
    that does not show within ``timeout`` seconds is reported as None (and the tablet is not usable)."""
    page.context.set_offline(True)
    started = time.monotonic()
    page.reload()
    page.locator(b.testid("unlock-pin")).fill(b.PIN)
    page.locator(b.testid("unlock-submit")).click()
    out: dict[str, Any] = {"timeout_s": timeout}
    for key, tab, item in (
        ("households_shown_s", "tab-households", "household-item"),  # the app opens on 今日
        ("visits_shown_s", "tab-visits", "visit-item"),
    ):
        try:
            page.locator(b.testid(tab)).click(timeout=timeout * 1000)
            page.locator(b.testid(item)).first.wait_for(timeout=timeout * 1000)
            out[key] = time.monotonic() - started
        except PlaywrightTimeout:
            out[key] = None
            break
    page.context.set_offline(False)
    return out


def wait_usable(page: Page, *, timeout: float) -> float | None:
    """Until the app says the open work is stored (or, for an app that does not say, the first round has
    ended well); the time then, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        usable = page.evaluate(
            "() => document.querySelector('[data-testid=app-header]')?.dataset.syncUsable === 'true'"
        )
        state = b.header_state(page)
        if usable or (state["rounds"] >= 1 and not state["syncing"]):
            if not usable and state["net"] != "online":
                raise RuntimeError(f"the sync round failed: {state}")
            return time.monotonic()
        page.wait_for_timeout(100)
    return None


def first_sync(
    browser: Browser, base_url: str, code: str, *, mbit_s: float, rtt_ms: float, timeout: float
) -> dict[str, Any]:
    with b.phone(browser) as (_context, page):
        link = b.Link(page)
        link.throttle(mbit_s=mbit_s, rtt_ms=rtt_ms)
        started = time.monotonic()
        pin_done = b.enroll(page, base_url, code, shared=True)
        synced = wait_usable(page, timeout=timeout - (pin_done - started))
        if synced is None:
            return {
                "timed_out": True,
                "seconds": time.monotonic() - started,
                "bytes": link.bytes_since(started),
            }
        b.wait_service_worker(page)
        ready = time.monotonic()
        result: dict[str, Any] = {
            "timed_out": False,
            "seconds": ready - started,
            "enrolled_s": pin_done - started,
            "sync_s": synced - pin_done,
            "bytes": link.bytes_since(started),
            "pull_bytes": link.bytes_since(started, "/api/sync/pull"),
            "households_bytes": link.bytes_since(started, "/api/households"),
            "api_bytes": link.bytes_since(started, "/api/"),
        }
        whole = b.wait_synced(page, rounds=1, timeout=max(1.0, timeout - (time.monotonic() - started)))
        result["whole_s"] = None if whole is None else whole - started
        result["whole_bytes"] = link.bytes_since(started)
        result["timeout_s"] = timeout
        if whole is not None:
            link.throttle(mbit_s=1000, rtt_ms=0)
            result["offline"] = reopen_offline(page)
        return result


def run(run: Run) -> list[Row]:
    built = fixtures.community_sqlite(run)
    url = copy_sqlite(built.path, run.path(NAME, "lianhu.sqlite3"))
    ops = sum(map(len, built.ops))
    weak_timeout = float(os.environ.get("LIANHU_BENCH_WEAK_TIMEOUT", "240"))
    results: dict[str, dict[str, Any]] = {}
    # Codes first: sync Playwright runs its own event loop in this thread.
    codes = [asyncio.run(fixtures.enrollment_code(url, built.world.coordinator_id)) for _ in LINKS]
    with lianhu_servers(url, run.path("logs")) as (server,), b.chromium() as browser:
        for code, (label, (mbit_s, rtt_ms)) in zip(codes, LINKS.items(), strict=True):
            print(
                f"  first sync of {ops:,} ops, {built.world.households:,} households at {label} …", flush=True
            )
            timeout = 600.0 if mbit_s >= 10 else weak_timeout
            results[label] = first_sync(
                browser, server.url, code, mbit_s=mbit_s, rtt_ms=rtt_ms, timeout=timeout
            )
            got = results[label]
            verb = "cut off after" if got["timed_out"] else "usable offline in"
            print(f"    {verb} {fmt_s(got['seconds'])}, {fmt_bytes(got['bytes'])} received", flush=True)
    return rows(results, ops=ops, households=built.world.households)


def rows(results: dict[str, dict[str, Any]], *, ops: int, households: int) -> list[Row]:
    out = []
    for n, (label, r) in enumerate(results.items()):
        measure = f"first sync {ops:,} ops / {households:,} households, {label}: usable offline"
        if r["timed_out"]:
            out.append(Row(NAME, measure, f"> {fmt_s(r['seconds'])} (cut off)", goal="(shown)", numbers=r))
            continue
        shown = f"{fmt_s(r['seconds'])} (enroll {fmt_s(r['enrolled_s'])} + sync {fmt_s(r['sync_s'])})"
        whole = f"> {fmt_s(r['timeout_s'])} (cut off)" if r["whole_s"] is None else fmt_s(r["whole_s"])
        if n == 0:
            out.append(Row(NAME, measure, shown, goal="< 10 s", met=r["seconds"] < 10, numbers=r))
        else:
            out.append(Row(NAME, measure, shown, goal="(shown)", numbers=r))
        split = f"pull {fmt_bytes(r['pull_bytes'])}, households {fmt_bytes(r['households_bytes'])}"
        out.append(
            Row(NAME, f"first sync, {label}: bytes on the wire until usable", fmt_bytes(r["bytes"]), split,
                goal="(shown)")
        )  # fmt: skip
        out.append(
            Row(NAME, f"first sync, {label}: the whole history stored", whole,
                f"{fmt_bytes(r['whole_bytes'])} received by then", goal="(shown)", numbers=r)
        )  # fmt: skip
    first = next(iter(results.values()))
    if not first["timed_out"] and "offline" in first:
        offline = first["offline"]

        def shown(key: str) -> str:
            return f"> {offline['timeout_s']:.0f} s" if offline.get(key) is None else fmt_s(offline[key])

        out.append(
            Row(NAME, "reopen offline after first sync: households shown", shown("households_shown_s"),
                f"visits shown {shown('visits_shown_s')}", goal="(shown)")
        )  # fmt: skip
    return out


__all__ = ["first_sync", "reopen_offline", "run"]
