"""A first sync that is usable before its history has come (issue 8; docs/sync-protocol.md §5.1, §8.1).

A grid already holds a year of visits when a new member enrolls. The phone lists the households first, then
takes a snapshot of the records: the open work (recent visits, an open request) and then the history. Here
the history pages are held back (the test fails them on the wire): the app must say it is usable, list the
households and the recent visits, and still do so after an offline reload and unlock. Let the history through
and the same sync goes on where it stopped, until the phone holds every record.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from conftest import NewPhone, Server
from phone import by_testid, enroll, household_ids, screenshot, unlock, wait_for_service_worker
from playwright.sync_api import Page, Route, expect

from sync import HybridClock, uuid7

RECENT = 12
OLD = 300


def push_history(
    server: Server, grid: int, member_id: int, *, recent: int = RECENT, old: int = OLD, request: bool = True
) -> list[str]:
    """A colleague's device records ``recent`` visits of the last days and ``old`` ones of last year, and
    one open request; returns the record ids, recent first."""
    token = server.enroll_token(member_id, label="同事的手机")
    status, me = server.api("GET", "/api/me", token=token)
    assert status == 200, me
    households = [row["id"] for row in server.query("SELECT id FROM households WHERE grid_id = ?", (grid,))]
    replica = me["device"]["id"]
    clock = HybridClock(replica)
    today = date.today()

    def op(record_type: str, household: str, fields: dict[str, Any]) -> dict[str, Any]:
        stamp = clock.now(time.time_ns() // 1_000_000)
        return {"id": uuid7(), "record": uuid7(), "type": record_type, "household": household,
                "clock": stamp, "replica": replica, "kind": "set", "fields": fields}  # fmt: skip

    ops = []
    for n in range(recent + old):
        day = today - timedelta(days=n % 7 if n < recent else 200 + n % 100)
        fields = {"date": day.isoformat(), "items": ["policy"], "notes": f"走访记录 {n}"}
        ops.append(op("visit", households[n % len(households)], fields))
    if request:
        ops.append(op("request", households[0], {"category": "repair", "description": "楼道灯坏了"}))
    for start in range(0, len(ops), 200):
        status, answer = server.api(
            "POST", "/api/sync/push", token=token, body={"ops": ops[start : start + 200]}
        )
        assert status == 200 and all(r["status"] == "accepted" for r in answer["results"]), answer
    return [op["record"] for op in ops]


def hold_history(page: Page) -> dict[str, int]:
    """Fail every snapshot page of the history on the wire until the route is removed; count them."""
    held = {"history_pages": 0}

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        if '"phase":"history"' in body:
            held["history_pages"] += 1
            route.abort("failed")
            return
        # The body comes decoded: send it on without the encoding headers of the compressed original.
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "content-length")
        }
        route.fulfill(status=response.status, headers=headers, body=body)

    page.route("**/api/sync/pull*", handle)
    return held


def header(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        "() => ({...document.querySelector('[data-testid=app-header]').dataset})"
    )
    return found


def held_records(page: Page) -> int:
    count: int = page.evaluate("async () => (await (await import('/js/db.js')).listRecords()).length")
    return count


def test_a_first_sync_is_usable_and_reopens_offline_before_its_history_has_come(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    colleague = server.add_member("周强", grid)
    records = push_history(server, grid, colleague["id"])
    member = server.add_member("吴芳", grid)
    page = new_phone("first-sync")
    held = hold_history(page)

    enroll(page, server.url, server.code_for(member["id"]))  # waits for the first round: it fails at history
    page.wait_for_function(
        "() => document.querySelector('[data-testid=app-header]').dataset.syncUsable === 'true'"
    )
    wait_for_service_worker(page)
    assert held["history_pages"] >= 1
    assert header(page)["syncPhase"] == "history"
    expect(page.locator(by_testid("sync-progress"))).to_contain_text("历史记录")
    assert held_records(page) == RECENT + 1, "the open work, not the history"
    assert len(household_ids(page)) == len(
        server.query("SELECT id FROM households WHERE grid_id = ?", (grid,))
    )
    page.locator(by_testid("tab-visits")).click()
    expect(page.locator(by_testid("visit-item"))).to_have_count(RECENT)
    screenshot(page, "first-sync-usable")

    page.context.set_offline(True)
    page.reload()
    unlock(page)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=app-header]').dataset.syncUsable === 'true'"
    )
    assert len(household_ids(page)) > 0
    page.locator(by_testid("tab-visits")).click()
    expect(page.locator(by_testid("visit-item"))).to_have_count(RECENT)
    assert held_records(page) == RECENT + 1

    page.unroute("**/api/sync/pull*")
    page.context.set_offline(False)
    page.locator(by_testid("sync-button")).click()
    page.wait_for_function(
        "() => { const d = document.querySelector('[data-testid=app-header]').dataset;"
        " return d.syncPhase === 'done' && d.syncing === 'false'; }",
        timeout=60_000,
    )
    assert held_records(page) == len(records)
    stored = page.evaluate("async () => (await (await import('/js/db.js')).getMeta('snapshot'))")
    assert stored["phase"] == "done" and stored["total"] == len(records)
    page.locator(by_testid("tab-visits")).click()
    # A long list draws its first 200 records (199 visits and the request, newest first), and 显示更多.
    expect(page.locator(by_testid("visit-item"))).to_have_count(199)
    more = page.locator(by_testid("list-more"))
    expect(more).to_contain_text(str(len(records) - 200))
    # A sync that brings news draws the list again, but never the button: one drawn anew between a
    # finger's press and its lift would swallow the tap.
    page.evaluate("() => { document.querySelector('[data-testid=list-more]').dataset.probe = 'kept'; }")
    push_history(server, grid, colleague["id"], recent=1, old=0, request=False)
    page.locator(by_testid("sync-button")).click()
    expect(more).to_contain_text(str(len(records) + 1 - 200))
    assert more.get_attribute("data-probe") == "kept"
    more.scroll_into_view_if_needed()
    expect(page.locator(by_testid("toast"))).to_have_count(0, timeout=10_000)  # "同步完成" has gone
    screenshot(page, "list-more")
    more.click()
    expect(page.locator(by_testid("visit-item"))).to_have_count(RECENT + OLD + 1)
    expect(more).to_be_hidden()
