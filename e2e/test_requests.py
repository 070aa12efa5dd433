"""群众诉求, the member's side of the loop 收集 → 转办 → 答复 → 回访, each phone offline while it records: a
member raises a request during a visit (linked to it), the grid leader's phone records 转办 and 答复 (a
member's phone is not offered them), the member records the return visit with the resident's satisfaction,
and every phone and the server show the request 已办结."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import by_testid, enroll, expect_unsynced, screenshot, sync
from playwright.sync_api import Page, expect
from records_steps import (
    add_member,
    fields_of,
    first_household,
    log_of,
    open_records,
    record_card,
    server_record,
)


def request_id_of(page: Page) -> str:
    expect(page.locator(by_testid("request-view-screen"))).to_be_visible()
    return str(page.locator(by_testid("request-view-screen")).get_attribute("data-id"))


def test_a_request_raised_in_a_visit_goes_round_the_loop_and_is_closed(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    leader = add_member(server, "网格长赵刚", grid, "grid_leader")
    member = add_member(server, "马丽", grid)
    household = first_household(server, grid)
    phone, leader_phone = new_phone("ma-li"), new_phone("zhao-gang")
    enroll(phone, server.url, server.code_for(member["id"]))
    enroll(leader_phone, server.url, server.code_for(leader["id"]))

    # 收集: at the door, offline, a visit and the request the resident raised, linked to it.
    phone.context.set_offline(True)
    open_records(phone)
    phone.locator(by_testid("visit-new")).click()
    phone.locator(by_testid("visit-household")).select_option(household)
    phone.locator(by_testid("visit-item-opinions")).check()
    phone.locator(by_testid("visit-notes")).fill("老人反映卫生间水管漏水，地面常湿，担心滑倒。")
    phone.locator(by_testid("visit-co-visitors-toggle")).locator("summary").click()
    phone.locator(by_testid(f"visit-co-visitors-{leader['id']}")).check()
    expect(phone.locator(by_testid("visit-co-visitors-toggle"))).to_contain_text("网格长赵刚")
    screenshot(phone, "40-visit-form-co-visitors")
    phone.locator(by_testid("visit-add-request")).click()
    expect(phone.locator(by_testid("request-new-screen"))).to_be_visible()
    expect(phone.locator(by_testid("request-from-visit"))).to_be_visible()
    screenshot(phone, "41a-request-form-top")
    phone.locator(by_testid("request-category-repair")).check()
    description = "卫生间水管漏水，请物业上门维修"
    phone.locator(by_testid("request-description")).fill(description)
    phone.locator(by_testid("request-urgency-urgent")).check()
    phone.locator(by_testid("request-contact")).fill("王大爷 13800001111")
    screenshot(phone, "41-request-form")
    phone.locator(by_testid("request-save")).click()
    request_id = request_id_of(phone)
    expect(phone.locator(by_testid("request-stage-collect"))).to_have_attribute("data-status", "done")
    expect(phone.locator(by_testid("request-stage-assign"))).to_have_attribute("data-status", "due")
    expect(phone.locator(by_testid("request-due"))).to_contain_text("应于")
    expect(phone.locator(by_testid("step-assign"))).to_have_count(0)  # 转办 is for leaders
    expect(phone.locator(by_testid("step-reply"))).to_have_count(0)
    expect_unsynced(phone, 2)
    screenshot(phone, "42-request-collected-offline")

    phone.context.set_offline(False)
    sync(phone)
    expect_unsynced(phone, 0)
    (visit,) = server.query(
        "SELECT id, state FROM records WHERE type = 'visit' AND household_id = ? AND created_by = ?",
        (household, member["id"]),
    )
    assert fields_of(server_record(server, visit["id"]))["co_visitors"] == [leader["id"]]
    assert fields_of(server_record(server, request_id)) == {
        "category": "repair",
        "description": description,
        "urgency": "urgent",
        "source": "visit",
        "visit": visit["id"],
        "contact": "王大爷 13800001111",
    }

    # 转办 and 答复 on the grid leader's phone, offline too.
    sync(leader_phone)
    open_records(leader_phone, "request")
    record_card(leader_phone, request_id).locator(by_testid("record-open")).click()
    request_id_of(leader_phone)
    leader_phone.context.set_offline(True)
    leader_phone.locator(by_testid("step-assign")).click()
    leader_phone.locator(by_testid("step-assign-to")).fill("物业公司")
    leader_phone.locator(by_testid("step-assign-notes")).fill("已电话通知物业维修班")
    leader_phone.locator(by_testid("step-assign-save")).click()
    expect(leader_phone.locator(by_testid("request-stage-assign"))).to_have_attribute("data-status", "done")
    leader_phone.locator(by_testid("step-reply")).click()
    leader_phone.locator(by_testid("step-reply-notes")).fill("物业已更换水管，地面已干")
    leader_phone.locator(by_testid("step-reply-save")).click()
    expect(leader_phone.locator(by_testid("request-stage-reply"))).to_have_attribute("data-status", "done")
    expect(leader_phone.locator(by_testid("request-stage-return_visit"))).to_have_attribute(
        "data-status", "due"
    )
    screenshot(leader_phone, "43-request-replied-by-leader")
    leader_phone.context.set_offline(False)
    sync(leader_phone)
    expect_unsynced(leader_phone, 0)

    # 回访: the member goes back, offline, and records the resident's satisfaction.
    sync(phone)
    expect(phone.locator(by_testid("request-stage-reply"))).to_have_attribute("data-status", "done")
    expect(phone.locator(by_testid("request-log"))).to_contain_text("转办给：物业公司")
    phone.context.set_offline(True)
    phone.locator(by_testid("step-return_visit")).click()
    phone.locator(by_testid("step-satisfaction-satisfied")).check()
    phone.locator(by_testid("step-return_visit-notes")).fill("老人说修得很好")
    screenshot(phone, "44-request-return-visit-form")
    phone.locator(by_testid("step-return_visit-save")).click()
    expect(phone.locator(by_testid("request-closed"))).to_have_text("已办结")
    expect(phone.locator(by_testid("step-return_visit"))).to_have_count(0)
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "45-request-closed")
    phone.context.set_offline(False)
    sync(phone)
    expect_unsynced(phone, 0)

    state = server_record(server, request_id)
    assert [(e["value"]["step"], e["author"]) for e in log_of(state, "steps")] == [
        ("assign", leader["id"]),
        ("reply", leader["id"]),
        ("return_visit", member["id"]),
    ]
    returned = {"step": "return_visit", "satisfaction": "satisfied", "notes": "老人说修得很好"}
    assert log_of(state, "steps")[2]["value"] == returned
    (row,) = server.query("SELECT stage, closed FROM records WHERE id = ?", (request_id,))
    assert (row["stage"], row["closed"]) == ("return_visit", 1)

    sync(leader_phone)
    expect(leader_phone.locator(by_testid("request-closed"))).to_have_text("已办结")
    open_records(phone, "request")
    expect(record_card(phone, request_id).locator(by_testid("record-flag"))).to_have_text("已办结")
    screenshot(phone, "46-records-requests")
