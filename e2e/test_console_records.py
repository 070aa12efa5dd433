"""The records list and a record's history in a real browser: a community coordinator filters the synced
records by type and area, opens a visit that two phones edited, and reads its history — who, which device,
the device's clock, and the edit that lost shown as 被…覆盖.

Screenshots (1280×800 and 360×740) go to .tmp/screenshots/console-records-*.png for a person to look at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Server
from console_steps import add_coordinator, both_sizes, community_and_grid, office_browser, open_console
from phone import by_testid
from playwright.sync_api import Browser, Page, expect

from sync import uuid7


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """The community office's computer."""
    with office_browser(browser) as page:
        yield page


def op(me: dict[str, Any], household: str, ms: int, record: str, **fields: Any) -> dict[str, Any]:
    return {"id": uuid7(), "record": record, "type": "visit", "household": household, "kind": "set",
            "clock": f"{ms:015d}-00000", "replica": me["device"]["id"], "fields": fields}  # fmt: skip


def test_a_coordinator_filters_the_records_and_reads_a_visits_history(server: Server, desk: Page) -> None:
    community, grid = community_and_grid(server)
    coordinator = add_coordinator(server, community["id"])
    in_grid = server.cli_json("member", "list", "--area", str(grid["id"]))
    colleagues = [m for m in in_grid if m["role"] == "member"]
    first, second = colleagues[:2]
    tokens = [server.enroll_token(first["id"], "徐的手机"), server.enroll_token(second["id"], "林的手机")]
    me = [server.api("GET", "/api/me", token=token)[1] for token in tokens]
    _, households = server.api("GET", "/api/households", token=tokens[0])
    household = households["households"][0]["id"]

    # A visit; the second member corrects its notes; the first member's own offline correction, stamped
    # earlier, reaches the server afterwards and loses (last writer wins).
    now = int(time.time() * 1000)
    record = uuid7()
    created = op(me[0], household, now - 600_000, record, date="2026-11-28", items=["policy", "care"],
                 notes="老人身体尚好")  # fmt: skip
    later = op(me[1], household, now - 60_000, record, notes="已联系子女，下周复访")
    offline = op(me[0], household, now - 120_000, record, notes="血压偏高")
    for token, body in ((tokens[0], created), (tokens[1], later), (tokens[0], offline)):
        status, pushed = server.api("POST", "/api/sync/push", token=token, body={"ops": [body]})
        assert (status, pushed["results"][0]["status"]) == (200, "accepted"), pushed
    neighbour = households["households"][1]["id"]
    other = op(me[0], neighbour, now - 30_000, uuid7(), date="2026-11-27", not_home=True)
    assert server.api("POST", "/api/sync/push", token=tokens[0], body={"ops": [other]})[0] == 200

    open_console(desk, server, coordinator)
    desk.locator(by_testid("nav-records")).click()
    expect(desk.locator(by_testid("record-row")).first).to_be_visible()

    # Filter: visits in that grid.
    desk.locator(by_testid("filter-type")).select_option("visit")
    desk.locator(by_testid("filter-area")).select_option(str(grid["id"]))
    desk.locator(by_testid("filter-apply")).click()
    rows = desk.locator(by_testid("record-row"))
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-id", record)
    for row in rows.all():
        expect(row).to_have_attribute("data-type", "visit")
    expect(desk.locator(by_testid("record-count"))).to_contain_text("2")
    both_sizes(desk, "records")

    # The record: its notes now, and the history with the write that lost.
    desk.locator(f'{by_testid("record-row")}[data-id="{record}"] {by_testid("record-link")}').click()
    expect(desk.locator(by_testid("record-title"))).to_contain_text("走访")
    expect(desk.locator(by_testid("record-state"))).to_contain_text("已联系子女，下周复访")
    expect(desk.locator(by_testid("record-state"))).to_contain_text("惠民政策宣讲、重点人群关怀")
    changes = desk.locator(by_testid("history-change"))
    expect(changes).to_have_count(3)
    history = desk.locator(by_testid("record-history"))
    expect(history).to_contain_text("徐的手机")
    expect(history).to_contain_text("林的手机")
    lost = desk.locator(f'{by_testid("history-write")}[data-status="lost"]')
    expect(lost).to_have_count(1)
    expect(lost).to_contain_text("血压偏高")
    expect(lost.locator(by_testid("overwritten-by"))).to_contain_text(f"被 {second['name']} 覆盖")
    both_sizes(desk, "record")

    # Back to the list, and the ledgers page.
    desk.locator(by_testid("back-to-list")).click()
    expect(desk.locator(by_testid("record-filters"))).to_be_visible()
    desk.locator(by_testid("nav-ledgers")).click()
    expect(desk.locator(by_testid("ledger-form"))).to_be_visible()
    both_sizes(desk, "ledgers")
    viewed = server.query("SELECT count(*) AS n FROM audit_log WHERE kind = 'record_viewed'")
    assert viewed[0]["n"] == 1
