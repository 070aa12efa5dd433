"""窗帘行动: today's curtain round on the phone, fully offline. A check closed in one tap reaches the server
as one record under the id derived from (household, day); two members of one grid who escalate the same
door the same morning, both offline, make one record holding both their steps, and both phones show both."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import by_testid, enroll, expect_unsynced, screenshot, sync, unlock, wait_for_service_worker
from playwright.sync_api import expect
from records_steps import (
    add_escalation_step,
    add_member,
    curtain_item,
    fields_of,
    link_households,
    log_of,
    open_curtain_check,
    open_curtain_round,
    round_households,
    server_record,
    set_curtain_deadline,
    shanghai_now,
    synced_twice,
)

from server.domain.ids import derived_record_id


def test_a_check_closed_in_one_tap_offline_reaches_the_server_as_the_days_record(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    member = add_member(server, "孙丽", grid)
    leader = server.enroll_token(add_member(server, "网格长刘强", grid, "grid_leader")["id"])
    on_round = round_households(server, grid)
    assert len(on_round) >= 3, "the demo grid has elderly residents on the curtain round"
    mine, other = on_round[-1], on_round[0]
    link_households(server, leader, {mine: [member["id"]]})

    page = new_phone("sun-li")
    enroll(page, server.url, server.code_for(member["id"]))
    wait_for_service_worker(page)
    open_curtain_round(page)
    expect(page.locator(by_testid("curtain-item"))).to_have_count(len(on_round))
    # Before the deadline (09:30 by default) a check is open; after it, overdue. Either way the household I
    # am linked to comes before the rest of the grid when nothing is overdue.
    now = shanghai_now()
    overdue = now.strftime("%H:%M") >= "09:30"
    expect(curtain_item(page, mine)).to_have_attribute("data-overdue", "true" if overdue else "false")
    if not overdue:
        assert page.locator(by_testid("curtain-item")).first.get_attribute("data-household") == mine
    screenshot(page, "30-curtain-round")

    # The community moves its deadline to midnight: every open check is overdue now, highlighted, first.
    set_curtain_deadline(server, grid, "00:00")
    sync(page)
    items = page.locator(by_testid("curtain-item"))
    expect(items.first).to_have_attribute("data-overdue", "true")
    assert {items.nth(i).get_attribute("data-overdue") for i in range(items.count())} == {"true"}
    expect(page.locator(by_testid("curtain-summary"))).to_contain_text(f"{len(on_round)} 户已超时")
    screenshot(page, "31-curtain-round-overdue")

    page.context.set_offline(True)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "offline")
    curtain_item(page, mine).locator(by_testid("curtain-seen")).click()
    closed = curtain_item(page, mine)
    expect(closed).to_have_attribute("data-state", "closed")
    expect(closed).to_have_attribute("data-overdue", "false")
    expect(closed.locator(by_testid("curtain-state"))).to_contain_text("窗帘已拉开 / 见到本人")
    expect(page.locator(by_testid("curtain-item")).last).to_have_attribute("data-household", mine)
    expect_unsynced(page, 1)
    screenshot(page, "32-curtain-closed-offline")

    page.reload()  # offline: the service worker serves the app, the check is still closed after the PIN
    unlock(page)
    open_curtain_round(page)
    expect(curtain_item(page, mine)).to_have_attribute("data-state", "closed")
    expect(curtain_item(page, other)).to_have_attribute("data-state", "open")

    page.context.set_offline(False)
    sync(page)
    expect_unsynced(page, 0)
    today = shanghai_now().date().isoformat()
    record_id = derived_record_id("curtain_check", [mine, today])
    state = server_record(server, record_id)
    checked_at = fields_of(state)["checked_at"]
    assert fields_of(state) == {"date": today, "outcome": "seen", "checked_at": checked_at}
    assert "00:00" <= checked_at <= shanghai_now().strftime("%H:%M")
    ops = server.query("SELECT kind, author_id FROM ops WHERE record_id = ?", (record_id,))
    assert [(op["kind"], op["author_id"]) for op in ops] == [("set", member["id"])], "one set op"
    checks = server.query("SELECT id FROM records WHERE type = 'curtain_check' AND household_id = ?", (mine,))
    assert [row["id"] for row in checks] == [record_id]


def test_two_phones_escalating_the_same_door_offline_make_one_record_with_both_steps(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[1]["id"]
    alice = add_member(server, "周红", grid)
    bob = add_member(server, "钱军", grid)
    household = round_households(server, grid)[0]
    phone_a, phone_b = new_phone("zhou-hong"), new_phone("qian-jun")
    enroll(phone_a, server.url, server.code_for(alice["id"]))
    enroll(phone_b, server.url, server.code_for(bob["id"]))

    for page in (phone_a, phone_b):
        page.context.set_offline(True)
        open_curtain_check(page, household)
    screenshot(phone_a, "33a-curtain-check")
    add_escalation_step(phone_a, "phone", "no_answer", notes="打了两次电话，无人接听")
    expect(phone_a.locator(by_testid("curtain-check-screen"))).to_have_attribute("data-state", "escalating")
    phone_a.locator(by_testid("escalation-log")).scroll_into_view_if_needed()
    screenshot(phone_a, "33-curtain-escalation-offline")
    add_escalation_step(phone_b, "knock", "no_answer", notes="敲门无人应答，窗帘未拉开")
    expect_unsynced(phone_a, 2)  # creating the day's check, then the step
    expect_unsynced(phone_b, 2)

    for page in (phone_a, phone_b):
        page.context.set_offline(False)
    synced_twice(phone_a, phone_b)
    today = shanghai_now().date().isoformat()
    record_id = derived_record_id("curtain_check", [household, today])
    state = server_record(server, record_id)
    assert fields_of(state) == {"date": today}
    steps = log_of(state, "escalation")
    assert sorted((s["value"]["step"], s["value"]["result"], s["author"]) for s in steps) == [
        ("knock", "no_answer", bob["id"]),
        ("phone", "no_answer", alice["id"]),
    ]
    checks = server.query(
        "SELECT id FROM records WHERE type = 'curtain_check' AND household_id = ?", (household,)
    )
    assert [row["id"] for row in checks] == [record_id], "one record for the door and the day"
    for page in (phone_a, phone_b):
        expect(page.locator(by_testid("escalation-log-entry"))).to_have_count(2)
        expect(page.locator(by_testid("escalation-log"))).to_contain_text("上门敲门")
        expect(page.locator(by_testid("escalation-log"))).to_contain_text("电话联系")
    phone_b.locator(by_testid("escalation-log")).scroll_into_view_if_needed()
    screenshot(phone_b, "34-curtain-escalation-merged")

    # Bob reaches the resident's daughter: he closes the check with that outcome; Alice sees it closed.
    phone_b.locator(by_testid("curtain-outcome-reached")).check()
    phone_b.locator(by_testid("curtain-notes")).fill("女儿说老人昨晚住在她家")
    phone_b.locator(by_testid("curtain-close")).click()
    expect(phone_b.locator(by_testid("curtain-check-screen"))).to_have_attribute("data-state", "closed")
    synced_twice(phone_b, phone_a)
    expect(phone_a.locator(by_testid("curtain-check-state"))).to_contain_text("已联系上，平安")
    expect(phone_a.locator(by_testid("escalation-form"))).to_have_count(0)
    screenshot(phone_a, "35-curtain-check-closed")
    assert fields_of(server_record(server, record_id))["outcome"] == "reached"
