"""A member records two home visits with no signal; they survive an offline reload and reach the server
intact, in the member's name, once the phone is back online."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from conftest import NewPhone, Server
from phone import (
    Visit,
    by_testid,
    device_id,
    enroll,
    expect_unsynced,
    household_ids,
    record_visit,
    screenshot,
    sync,
    unlock,
    visit_ids,
    wait_for_service_worker,
)
from playwright.sync_api import expect

from sync import state_from_storage, state_to_json


def today_in_shanghai() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_visits_recorded_offline_survive_a_reload_and_sync_later(server: Server, new_phone: NewPhone) -> None:
    grid = server.cli_json("grid", "list")[0]
    member = server.add_member("李娜", grid["id"])
    page = new_phone("li-na")
    enroll(page, server.url, server.code_for(member["id"]), shot="01-enroll")
    wait_for_service_worker(page)
    screenshot(page, "02-households")
    replica = device_id(page)
    first, second = household_ids(page)[:2]
    day_before = today_in_shanghai()

    page.context.set_offline(True)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "offline")
    visits = {
        first: Visit(notes="老人身体尚好，独自居住，女儿每周来看望一次。", items=("policy", "safety")),
        second: Visit(
            notes="楼道灯不亮，老人晚上出门不便。", items=("care",), request="请物业尽快修好三楼楼道灯"
        ),
    }
    record_visit(page, first, visits[first], shot="03-visit-form")
    record_visit(page, second, visits[second])
    expect_unsynced(page, 2)
    screenshot(page, "04-visits-pending-offline")

    page.reload()  # still offline: the service worker serves the app, IndexedDB still holds the visits
    expect(page.locator(by_testid("unlock-screen"))).to_be_visible()  # the data opens with the PIN only
    unlock(page)
    expect(page.locator(by_testid("visits-screen"))).to_be_visible()
    assert page.evaluate("() => navigator.serviceWorker.controller !== null"), "served by the service worker"
    expect(page.locator(by_testid("visit-item"))).to_have_count(2)
    for status in page.locator(by_testid("visit-status")).all():
        expect(status).to_have_attribute("data-status", "pending")
        expect(status).to_have_text("待同步")
    expect_unsynced(page, 2)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "offline")
    expect(page.locator(by_testid("unsynced-count"))).to_have_text("2 条未同步")
    screenshot(page, "05-offline-after-reload")
    record_ids = set(visit_ids(page))

    page.context.set_offline(False)
    sync(page)
    expect_unsynced(page, 0)
    for status in page.locator(by_testid("visit-status")).all():
        expect(status).to_have_attribute("data-status", "synced")
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "online")
    screenshot(page, "06-visits-synced")

    rows = server.query("SELECT id, household_id, state FROM records WHERE type = 'visit'")
    assert {row["id"] for row in rows} == record_ids
    dates = {day_before, today_in_shanghai()}
    for row in rows:
        state = state_to_json(state_from_storage(row["state"]))
        expected = visits[row["household_id"]]
        fields = {name: register["value"] for name, register in state["fields"].items()}
        assert fields["date"] in dates
        assert fields == {
            "date": fields["date"],
            "items": list(expected.items),
            "notes": expected.notes,
            "request": expected.request or None,
        }
        assert {register["author"] for register in state["fields"].values()} == {member["id"]}
        assert state["household"] == row["household_id"]

    ops = server.query(
        "SELECT record_id, kind, author_id, replica, body FROM ops WHERE record_type = 'visit'"
    )
    assert len(ops) == 2, "one set op per new visit"
    assert {op["record_id"] for op in ops} == record_ids
    assert {(op["kind"], op["author_id"], op["replica"]) for op in ops} == {("set", member["id"], replica)}
