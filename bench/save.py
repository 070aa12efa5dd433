"""Benchmark 4 — save on the phone: from the tap on 保存 to the op being durable in IndexedDB, in Chromium.

    python -m bench save

A grid member's phone, up to date with its grid's year of visits, records new visits through the form
(household, items, a Chinese note). The page is instrumented before the app loads (an init script): the
tap's event time, and the ``complete`` event of every read-write IndexedDB transaction that writes the
outbox — the one transaction in which the app saves clock, record, op and outbox entry together
(pwa/js/db/member-data.js ``saveLocalOp``). Tap to durable is the gap between the two, p50 and p95.
(``complete`` is what the app can observe; Chromium's default durability for it is "relaxed".) Also
shown: tap until the visit list is back on screen.
"""

from __future__ import annotations

import asyncio
import random
import time

from playwright.sync_api import Page

from .lib import browser as b
from .lib import fixtures
from .lib.config import Run
from .lib.fixtures import copy_sqlite
from .lib.ops import visit_notes
from .lib.report import Row, fmt_s, percentile
from .lib.servers import lianhu_servers

NAME = "save"

INSTRUMENT = """
(() => {
  window.__bench = {taps: [], commits: []};
  const open = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
    const tx = open.call(this, stores, mode, ...rest);
    const names = typeof stores === 'string' ? [stores] : [...stores];
    if (mode === 'readwrite' && names.includes('outbox')) {
      tx.addEventListener('complete', () => window.__bench.commits.push(performance.now()));
    }
    return tx;
  };
  document.addEventListener('click', (event) => {
    if (event.target.closest?.('[data-testid=visit-save]')) window.__bench.taps.push(event.timeStamp);
  }, true);
})();
"""


def save_visit(page: Page, household: str, notes: str) -> float:
    """Record one visit through the form; returns seconds from the tap until the list is shown again."""
    # As the household card's 记走访 does (the list draws 200 of the grid's 400 cards until 显示更多).
    page.evaluate("hash => { location.hash = hash; }", f"#/visits/new?household={household}")
    page.locator(b.testid("visit-item-policy")).check()
    page.locator(b.testid("visit-notes")).fill(notes)
    started = time.monotonic()
    page.locator(b.testid("visit-save")).click()
    page.locator(b.testid("visits-screen")).wait_for()
    return time.monotonic() - started


def run(run: Run) -> list[Row]:
    built = fixtures.community_sqlite(run)
    url = copy_sqlite(built.path, run.path(NAME, "lianhu.sqlite3"))
    grid = built.world.devices[0]
    code = asyncio.run(fixtures.new_member_code(url, grid.grid_id))
    saves = run.sized(30, minimum=10)
    rng = random.Random(4)
    with (
        lianhu_servers(url, run.path("logs")) as (server,),
        b.chromium() as browser,
        b.phone(browser) as (ctx, page),
    ):
        ctx.add_init_script(INSTRUMENT)
        print(f"  {saves} saves on a phone holding its grid's {len(built.ops[0]):,} ops …", flush=True)
        b.enrolled_phone(page, server.url, code)
        page.reload()  # the init script was added after the first page load
        page.locator(b.testid("unlock-pin")).fill(b.PIN)
        page.locator(b.testid("unlock-submit")).click()
        page.locator(b.testid("tab-households")).click()  # the app opens on 今日
        page.locator(b.testid("household-item")).first.wait_for()
        page.evaluate("() => { window.__bench.taps.length = 0; window.__bench.commits.length = 0; }")
        shown = [save_visit(page, rng.choice(grid.households), visit_notes(rng)) for _ in range(saves)]
        marks = page.evaluate("() => window.__bench")
    durable = []
    for tap in marks["taps"]:
        after = [c for c in marks["commits"] if c >= tap]
        if after:
            durable.append((min(after) - tap) / 1000)
    if len(durable) != saves:
        raise RuntimeError(f"{saves} saves but {len(durable)} outbox commits after a tap: {marks}")
    p50, p95 = percentile(durable, 50), percentile(durable, 95)
    numbers = {"durable_s": durable, "shown_s": shown}
    shown_p = f"p50 {fmt_s(percentile(shown, 50))}, p95 {fmt_s(percentile(shown, 95))}"
    return [
        Row(NAME, f"save on the phone: tap to durable in IndexedDB ({saves} saves)",
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms", goal="(shown)", numbers=numbers),
        Row(NAME, "save on the phone: tap until the visit list shows again", shown_p, goal="(shown)"),
    ]  # fmt: skip
