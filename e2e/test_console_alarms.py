"""Live alarms in a real browser: a coordinator has /console/alarms open on a desktop; a member's phone
records a curtain-check escalation offline, goes online and syncs; the alarm appears on the open console
page within 2 seconds, without a reload; the coordinator opens the record and sees its history. Then the
requests board (a 转办 recorded from a card, no script needed), the indicators and the household panel.

Screenshots (1280×800 and 360×740) go to .tmp/screenshots/console-*.png for a person to look at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import NewPhone, Server
from console_steps import add_coordinator, both_sizes, office_browser, open_console
from phone import SCREENSHOTS, by_testid, enroll, expect_unsynced, sync, wait_for_service_worker
from playwright.sync_api import Browser, Page, expect
from records_steps import (
    add_escalation_step,
    add_member,
    open_curtain_check,
    round_households,
    shanghai_now,
    uuid7,
)

from server.domain.ids import derived_record_id


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """The community office's computer."""
    with office_browser(browser) as page:
        yield page


def requests_for_the_board(server: Server, token: str, households: list[str]) -> list[str]:
    """A few resident requests collected by a member's script device (one per household)."""
    _, me = server.api("GET", "/api/me", token=token)
    now = int(time.time() * 1000)
    ops: list[dict[str, Any]] = []
    categories = ["repair", "environment", "safety", "paperwork"]
    for n, household in enumerate(households):
        ops.append(
            {
                "id": uuid7(),
                "record": uuid7(),
                "type": "request",
                "household": household,
                "clock": f"{now - (n * 20 + 2) * 3_600_000:015d}-00000",
                "replica": me["device"]["id"],
                "kind": "set",
                "fields": {
                    "category": categories[n % 4],
                    "description": f"楼道灯坏了，已经{n + 1}天",
                    "urgency": "urgent" if n == 1 else "normal",
                },
            }
        )
    status, pushed = server.api("POST", "/api/sync/push", token=token, body={"ops": ops})
    assert status == 200 and {r["status"] for r in pushed["results"]} == {"accepted"}, pushed
    return [op["record"] for op in ops]


def work_for_the_indicators(server: Server, token: str, grid: int, skip: str) -> None:
    """A morning's work by a member's script device: visits to a dozen households of the grid, and the
    curtain checks of the others on the round closed, most before the deadline."""
    _, me = server.api("GET", "/api/me", token=token)
    now, today = int(time.time() * 1000), shanghai_now().date().isoformat()
    stamp = iter(range(10_000))
    households = [
        str(row["id"])
        for row in server.query(
            "SELECT id FROM households WHERE grid_id = ? ORDER BY address LIMIT 12", (grid,)
        )
    ]

    def op(record: str, household: str, type_: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": uuid7(),
            "record": record,
            "type": type_,
            "household": household,
            "clock": f"{now:015d}-{next(stamp):05d}",
            "replica": me["device"]["id"],
            "kind": "set",
            "fields": fields,
        }

    ops = [
        op(uuid7(), h, "visit", {"date": today, "items": ["care"], "notes": "见到本人"}) for h in households
    ]
    for n, household in enumerate(h for h in round_households(server, grid) if h != skip):
        record = derived_record_id("curtain_check", [household, today])
        checked = "07:50" if n % 4 else "09:45"
        ops.append(
            op(record, household, "curtain_check", {"date": today, "outcome": "seen", "checked_at": checked})
        )
    status, pushed = server.api("POST", "/api/sync/push", token=token, body={"ops": ops})
    assert status == 200 and {r["status"] for r in pushed["results"]} == {"accepted"}, pushed


def test_an_escalation_synced_from_a_phone_shows_on_the_open_alarms_page_within_2_seconds(
    server: Server, desk: Page, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]
    community = next(area["parent"] for area in server.cli_json("area", "list") if area["id"] == grid["id"])
    household = round_households(server, grid["id"])[0]
    member = add_member(server, "孙丽", grid["id"])
    coordinator = add_coordinator(server, community)

    # The coordinator opens the alarms page; the page says it is live.
    open_console(desk, server, coordinator, "/console/alarms")
    expect(desk.locator(by_testid("live-status"))).to_have_attribute("data-state", "on")
    desk.evaluate("() => { window.lianhuNoReload = true; }")
    check = derived_record_id("curtain_check", [household, shanghai_now().date().isoformat()])
    alarm = desk.locator(f'{by_testid("alarm")}[data-kind="escalation"][data-record-id="{check}"]')
    expect(alarm).to_have_count(0)

    # The member's phone escalates the check offline: the phone, then the knock; then it goes online.
    phone = new_phone("sun-li")
    enroll(phone, server.url, server.code_for(member["id"]))
    wait_for_service_worker(phone)
    phone.context.set_offline(True)
    open_curtain_check(phone, household)
    add_escalation_step(phone, "phone", "no_answer", notes="打了两次电话，无人接听")
    expect_unsynced(phone, 2)
    phone.context.set_offline(False)
    sync(phone)
    synced_at = time.monotonic()
    expect_unsynced(phone, 0)

    expect(alarm).to_be_visible(timeout=2_000)
    assert time.monotonic() - synced_at < 2.0
    assert desk.evaluate("() => window.lianhuNoReload === true"), "the page was reloaded"
    expect(alarm.locator(by_testid("alarm-person")).first).to_be_visible()
    both_sizes(desk, "alarms")

    # The coordinator opens the record from the alarm and sees its history: the member's two changes.
    alarm.locator(by_testid("alarm-record")).click()
    expect(desk).to_have_url(f"{server.url}/console/records/{check}")
    expect(desk.locator(by_testid("record-history"))).to_be_visible()
    changes = desk.locator(by_testid("history-change"))
    expect(changes).to_have_count(2)
    expect(desk.locator(by_testid("record-history"))).to_contain_text("孙丽")
    expect(desk.locator(f'{by_testid("state-log")}[data-log="escalation"]')).to_contain_text("打了两次电话")
    both_sizes(desk, "alarm-record")

    # The requests board: requests a member collected; the coordinator records 转办 from a card.
    token = server.enroll_token(member["id"])
    households = [
        row["id"]
        for row in server.query(
            "SELECT id FROM households WHERE grid_id = ? ORDER BY address LIMIT 4", (grid["id"],)
        )
    ]
    records = requests_for_the_board(server, token, households)
    desk.goto(f"{server.url}/console/requests")
    card = desk.locator(f'{by_testid("request-card")}[data-id="{records[2]}"]')
    expect(card).to_have_attribute("data-stage", "collect")
    expect(card).to_have_attribute("data-overdue", "true")  # collected 42 hours ago, not yet assigned
    card.locator(by_testid("assign-form")).locator("summary").click()
    card.locator(by_testid("assign-to")).fill("物业公司")
    both_sizes(desk, "requests")
    card.locator(by_testid("assign-submit")).click()
    expect(desk.locator(by_testid("done"))).to_have_attribute("data-done", "assigned")
    moved = desk.locator(f'{by_testid("request-card")}[data-id="{records[2]}"]')
    expect(moved).to_have_attribute("data-stage", "assign")
    expect(moved.locator(by_testid("request-assigned"))).to_contain_text("物业公司")
    (op,) = server.query(
        "SELECT author_id, replica FROM ops WHERE record_id = ? AND kind = 'append'", (records[2],)
    )
    assert op["author_id"] == coordinator["id"]

    # Indicators of this month, and the household panel of the curtain round.
    work_for_the_indicators(server, token, grid["id"], skip=household)
    desk.goto(f"{server.url}/console/indicators")
    expect(desk.locator(by_testid("chart-coverage"))).to_be_visible()
    both_sizes(desk, "indicators")
    desk.emulate_media(media="print")  # what a printout holds: the charts, no navigation or forms
    desk.screenshot(path=str(SCREENSHOTS / "console-indicators-print.png"), full_page=True)
    desk.emulate_media(media="screen")
    desk.goto(f"{server.url}/console/households/{household}")
    expect(desk.locator(by_testid("household-round"))).to_be_checked()
    both_sizes(desk, "household")
    desk.goto(f"{server.url}/console/households?round=1")
    expect(desk.locator(by_testid("household-row")).first).to_be_visible()
    both_sizes(desk, "households")
