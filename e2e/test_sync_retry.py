"""A visit saved while the server cannot be reached gets there by itself within seconds of the signal
coming back — with no `online` event, as in a stairwell where the radio stays "connected" and carries
nothing (issue 8). The API is failed with Playwright's routing, not `set_offline`, so the browser never
thinks it went offline and fires neither `offline` nor `online`."""

from __future__ import annotations

import time

from conftest import NewPhone, Server
from phone import (
    Visit,
    by_testid,
    enroll,
    expect_unsynced,
    household_ids,
    record_visit,
    wait_for_service_worker,
)
from playwright.sync_api import Route, expect

COUNT_NETWORK_EVENTS = """
window.__networkEvents = [];
for (const name of ['online', 'offline']) {
  window.addEventListener(name, () => window.__networkEvents.push(name));
}
"""
# The longest wait the backoff can have reached after ~5 s of failures (rounds at ~0 s, ~2 s, ~6 s: the
# next one is 8 s ± 25 % later), plus a round's own time on a busy 2-core machine. The app's 60 s timer
# alone would take up to a minute.
ARRIVES_WITHIN_S = 20


def visits_on_server(server: Server, household: str) -> int:
    rows = server.query(
        "SELECT count(*) AS n FROM records WHERE type = 'visit' AND household_id = ?", (household,)
    )
    return int(rows[0]["n"])


def test_a_visit_saved_while_the_server_is_unreachable_arrives_when_it_is_back(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]
    member = server.add_member("周丽", grid["id"])
    page = new_phone("zhou-li")
    page.context.add_init_script(COUNT_NETWORK_EVENTS)
    enroll(page, server.url, server.code_for(member["id"]))
    wait_for_service_worker(page)
    household = household_ids(page)[0]
    assert visits_on_server(server, household) == 0

    failed: list[str] = []

    def unreachable(route: Route) -> None:
        failed.append(route.request.url)
        route.abort("internetdisconnected")

    page.route("**/api/**", unreachable)
    record_visit(page, household, Visit(notes="楼道灯不亮，老人晚上出门不便。", items=("care",)))
    expect_unsynced(page, 1)
    page.wait_for_timeout(5_000)  # the save's round and the retries after it all fail
    assert failed, "the app tried the server while it was unreachable"
    # Rounds at ~0 s (the save's), ~2 s and ~6 s, each stopped by its first request: a backoff, not a loop.
    assert len(failed) <= 6, failed
    assert visits_on_server(server, household) == 0

    page.unroute("**/api/**")
    back = time.monotonic()
    while visits_on_server(server, household) == 0:
        assert time.monotonic() - back < ARRIVES_WITHIN_S, f"not on the server {ARRIVES_WITHIN_S} s after"
        page.wait_for_timeout(250)
    arrived_after = time.monotonic() - back

    expect_unsynced(page, 0)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "online")
    assert page.evaluate("() => window.__networkEvents") == [], "no online/offline event was involved"
    print(
        f"arrived {arrived_after:.1f} s after the server was reachable again ({len(failed)} failed requests)"
    )
