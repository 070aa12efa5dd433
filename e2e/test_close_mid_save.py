"""Closing the app in the middle of saving a visit leaves the record and its outbox op both stored or both
absent — never a visit on the phone that will not sync, nor an op for a record the phone does not show
(issue 9, faults 4).

The app saves a new visit in one IndexedDB transaction: the clock, the record (in a new chunk) and the
outbox entry holding the op (pwa/js/db/member-data.js ``saveLocalOp``). Here the page is closed while that
happens, many times, and after each close the phone is opened again, unlocked with the PIN, and its data
inspected:

- **paused**: an init script holds the save's transaction open right after its outbox entry was written —
  every write issued, none committed — and the page is closed then. The close lands inside the save every
  time, by construction; nothing of the visit may survive.
- **timed**: the page is closed a varied number of milliseconds around the tap on 保存, from "before the
  save began" to "long after it committed"; each time both or neither must be there. (Where exactly each
  close lands depends on the machine; at least one must find the visit saved, which also shows that the
  inspection can see a saved visit at all.)

The phone is offline throughout, so no sync round empties the outbox behind the test's back.
"""

from __future__ import annotations

import time
from typing import Any

from conftest import NewPhone, Server
from phone import by_testid, enroll, household_ids, unlock, wait_for_service_worker
from playwright.sync_api import BrowserContext, Page, expect

# Wraps IDBObjectStore.add: when the test arms it, the add of the save's outbox entry is followed by a chain
# of reads on the same transaction, which keeps it alive (neither committed nor ended) until the page dies.
PAUSE_HOOK = """
(() => {
  const add = IDBObjectStore.prototype.add;
  IDBObjectStore.prototype.add = function (...args) {
    const request = add.apply(this, args);
    if (this.name === 'outbox' && window.__lianhuPauseSave) {
      window.__lianhuPauseSave = false;
      const store = this;
      const spin = () => { store.count().onsuccess = spin; };
      spin();
      console.log('lianhu-test: save paused before its commit');
    }
    return request;
  };
})();
"""

INSPECT = """async (tag) => {
  const db = await import('/js/db.js');
  const records = (await db.listRecords('visit')).filter((s) => s.fields?.notes?.value === tag);
  const outbox = (await db.listOutbox()).filter((e) => e.op?.fields?.notes === tag);
  return {records: records.map((s) => s.id), outbox: outbox.map((e) => e.op.record),
          pending: outbox.map((e) => e.status)};
}"""

# The tap is scheduled in the page CLICK_AT_MS ahead; the page is closed OFFSET after it (negative: before).
CLICK_AT_MS = 250
TIMED_OFFSETS_MS = [-200, -20, 0, 10, 25, 50, 100, 300]
CLICK_LATER = (
    "([testid, ms]) => setTimeout(() => document.querySelector(`[data-testid=${testid}]`).click(), ms)"
)
PAUSED_ROUNDS = 3


def _fill_visit(page: Page, household: str, tag: str) -> None:
    page.locator(by_testid("tab-households")).click()
    page.locator(
        f'{by_testid("household-item")}[data-id="{household}"] {by_testid("household-visit")}'
    ).click()
    expect(page.locator(by_testid("visit-household"))).to_have_value(household)
    page.locator(by_testid("visit-notes")).fill(tag)


def _reopen(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)  # offline: the service worker serves the app
    expect(page.locator(by_testid("unlock-screen"))).to_be_visible()
    unlock(page)
    return page


def _both_or_neither(page: Page, tag: str, label: str) -> str:
    found: dict[str, Any] = page.evaluate(INSPECT, tag)
    records, outbox = found["records"], found["outbox"]
    assert (len(records), len(outbox)) in ((0, 0), (1, 1)), f"{label}: record and outbox op disagree: {found}"
    if records:
        assert outbox == records, f"{label}: an outbox op of another record: {found}"
        assert found["pending"] == ["pending"], f"{label}: {found}"
        return "both"
    return "neither"


def test_closing_the_page_mid_save_keeps_record_and_outbox_op_together(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]
    member = server.add_member("赵敏", grid["id"])
    page = new_phone("zhao-min")
    context = page.context
    context.add_init_script(PAUSE_HOOK)
    enroll(page, server.url, server.code_for(member["id"]))
    wait_for_service_worker(page)
    household = household_ids(page)[0]
    context.set_offline(True)
    outcomes: dict[str, list[str]] = {"paused": [], "timed": []}

    for n in range(PAUSED_ROUNDS):
        tag = f"关闭测试 paused-{n}"
        _fill_visit(page, household, tag)
        page.evaluate("window.__lianhuPauseSave = true")
        with page.expect_console_message(lambda message: "save paused" in message.text, timeout=15_000):
            page.locator(by_testid("visit-save")).click(no_wait_after=True)
        page.close()  # every write of the save issued, none committed
        page = _reopen(context, server.url)
        outcomes["paused"].append(_both_or_neither(page, tag, f"paused {n}"))

    for n, offset_ms in enumerate(TIMED_OFFSETS_MS):
        tag = f"关闭测试 timed-{n}-{offset_ms}ms"
        _fill_visit(page, household, tag)
        # The tap and the close are timed from one start, so the close can land before, in or after the save
        # (a tap through Playwright returns only after the page has handled it, by when the save is done).
        page.evaluate(CLICK_LATER, ["visit-save", CLICK_AT_MS])
        time.sleep(max(0, CLICK_AT_MS + offset_ms) / 1000)
        page.close()
        page = _reopen(context, server.url)
        outcomes["timed"].append(_both_or_neither(page, tag, f"closed {offset_ms} ms after the tap"))

    # The pause held the commit back every time, so nothing of those visits may have survived …
    assert outcomes["paused"] == ["neither"] * PAUSED_ROUNDS, outcomes
    # … and the inspection does see a visit whose save was allowed to finish.
    assert "both" in outcomes["timed"], outcomes
    print(f"close mid-save: {outcomes}")
