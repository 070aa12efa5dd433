"""A household's page (issue 6 §5): the facts a member needs at the door, the 三要有, its records newest
first — and a correction of its facts made offline, which shows at once, survives an offline reload behind
the PIN, syncs, and lands in the server's households row with only the changed fields sent."""

from __future__ import annotations

import json

from conftest import NewPhone, Server
from phone import by_testid, enroll, expect_unsynced, screenshot, sync, unlock
from playwright.sync_api import expect
from today_steps import colleague, open_household, shanghai_today

NEW_PHONE = "13912345678"


def test_a_member_corrects_phone_and_residents_offline_and_the_server_row_has_them(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    member = server.add_member("周敏", grid)
    (target,) = server.query(
        "SELECT id, address, head_name, phone, residents, tags, care_level, contact_card FROM households "
        "WHERE grid_id = ? AND curtain_round = 1 AND contact_card IS NOT NULL ORDER BY address LIMIT 1",
        (grid,),
    )
    residents = json.loads(target["residents"])
    # A colleague visited it today: the page lists the visit and counts it as a contact record.
    visit_id = colleague(server, "吴刚", grid).visit(server, target["id"], shanghai_today())

    page = new_phone("zhou-min")
    enroll(page, server.url, server.code_for(member["id"]))
    open_household(page, target["id"])
    expect(page.locator(by_testid("household-page-address"))).to_have_text(target["address"])
    expect(page.locator(by_testid("household-head-text"))).to_have_text(target["head_name"])
    call = page.locator(by_testid("household-call"))
    expect(call).to_have_attribute("href", f"tel:{target['phone']}")
    expect(call).to_contain_text(target["phone"])
    expect(page.locator(f"{by_testid('household-residents')} li")).to_have_count(len(residents))
    expect(page.locator(by_testid("care-level")).first).to_have_attribute("data-care", target["care_level"])
    expect(page.locator(by_testid("household-cadence"))).to_contain_text("天走访一次")
    expect(page.locator(by_testid("household-contact-card"))).to_contain_text(
        f"{target['contact_card']} 已发放"
    )
    expect(page.locator(by_testid("household-contacts"))).to_contain_text("1 条")
    expect(page.locator(by_testid("household-curtain-round"))).to_have_text("已纳入每日窗帘行动")
    expect(page.locator(f'{by_testid("household-records")} [data-id="{visit_id}"]')).to_be_visible()
    expect(page.locator(by_testid("household-record-visit"))).to_have_attribute(
        "href", f"#/visits/new?household={target['id']}"
    )
    screenshot(page, "60-household-page")
    page.locator(by_testid("household-three-musts")).scroll_into_view_if_needed()
    screenshot(page, "60b-household-page-more")
    page.locator(by_testid("household-records")).scroll_into_view_if_needed()
    screenshot(page, "60c-household-page-records")

    # No signal at the door: correct the phone and add a resident.
    page.context.set_offline(True)
    page.locator(by_testid("household-edit")).click()
    expect(page.locator(by_testid("household-edit-screen"))).to_be_visible()
    expect(page.locator(by_testid("he-care_level"))).to_have_count(0)  # a member may not set the care level
    expect(page.locator(by_testid("he-readonly"))).to_contain_text("由网格长维护")
    expect(page.locator(by_testid("he-resident"))).to_have_count(len(residents))
    screenshot(page, "61-household-edit")
    page.locator(by_testid("he-phone")).fill(NEW_PHONE)
    page.locator(by_testid("he-resident-add")).click()
    added = page.locator(by_testid("he-resident")).last
    added.locator(by_testid("he-resident-name")).fill("李明")
    added.locator(by_testid("he-resident-relation")).fill("子女")
    added.locator(by_testid("he-resident-birth_year")).fill("1980")
    screenshot(page, "62-household-edit-resident")
    page.locator(by_testid("he-save")).click()

    expect(page.locator(by_testid("household-screen"))).to_be_visible()
    expect(page.locator(by_testid("household-call"))).to_have_attribute("href", f"tel:{NEW_PHONE}")
    expect(page.locator(f"{by_testid('household-residents')} li").last).to_have_text(
        "李明（子女，1980 年生）"
    )
    expect(page.locator(by_testid("household-pending"))).to_be_visible()
    expect(page.locator(by_testid("household-info-sheet"))).to_contain_text(f"{shanghai_today()} 更新")
    expect_unsynced(page, 1)
    screenshot(page, "63-household-corrected-offline")

    # Still offline: reload, the PIN, and the correction is there (the service worker serves the app).
    page.reload()
    expect(page.locator(by_testid("unlock-screen"))).to_be_visible()
    unlock(page)
    expect(page.locator(f'{by_testid("household-screen")}[data-id="{target["id"]}"]')).to_be_visible()
    expect(page.locator(by_testid("household-call"))).to_have_attribute("href", f"tel:{NEW_PHONE}")
    expect(page.locator(f"{by_testid('household-residents')} li")).to_have_count(len(residents) + 1)

    # Back online: one sync, and the server's households row has both corrections.
    page.context.set_offline(False)
    sync(page)
    expect_unsynced(page, 0)
    expect(page.locator(by_testid("household-pending"))).to_have_count(0)
    (row,) = server.query("SELECT phone, residents, care_level FROM households WHERE id = ?", (target["id"],))
    assert row["phone"] == NEW_PHONE
    assert json.loads(row["residents"]) == [
        *residents,
        {"name": "李明", "relation": "子女", "birth_year": 1980},
    ]
    assert row["care_level"] == target["care_level"]
    # Only what changed went out: one set op with phone and residents (and the sheet's date: residents are
    # on the 家庭基本情况表, so correcting them updates it).
    ops = server.query(
        "SELECT body FROM ops WHERE record_type = 'household' AND household_id = ?", (target["id"],)
    )
    assert [sorted(json.loads(op["body"])["fields"]) for op in ops] == [["info_sheet", "phone", "residents"]]
    (sheet,) = server.query("SELECT info_sheet FROM households WHERE id = ?", (target["id"],))
    assert sheet["info_sheet"] == shanghai_today()


def test_the_list_filters_and_puts_overdue_households_first(server: Server, new_phone: NewPhone) -> None:
    grid = server.cli_json("grid", "list")[1]["id"]
    member = server.add_member("郑洁", grid)
    rows = server.query("SELECT id, care_level, tags FROM households WHERE grid_id = ?", (grid,))
    orange = [r["id"] for r in rows if r["care_level"] == "orange"]
    visited = orange[0]
    colleague(server, "冯军", grid).visit(server, visited, shanghai_today())

    page = new_phone("zheng-jie")
    enroll(page, server.url, server.code_for(member["id"]))
    page.locator(by_testid("tab-households")).click()
    items = page.locator(by_testid("household-item"))
    expect(items).to_have_count(len(rows))
    flags = items.evaluate_all("els => els.map(e => [e.dataset.id, e.dataset.overdue])")
    overdue = [hid for hid, late in flags if late == "true"]
    assert [late for _, late in flags] == ["true"] * len(overdue) + ["false"] * (len(rows) - len(overdue))
    assert overdue[: len(orange) - 1] == [hid for hid, _ in flags if hid in orange and hid != visited]
    assert dict(flags)[visited] == "false"

    page.locator(by_testid("household-filter-overdue")).click()
    expect(items).to_have_count(len(rows) - 1)
    page.locator(by_testid("household-filter-care")).select_option("orange")
    expect(items).to_have_count(len(orange) - 1)
    assert "overdue=1" in page.url and "care=orange" in page.url
    screenshot(page, "64-households-filtered")
    page.locator(by_testid("household-filter-overdue")).click()
    expect(items).to_have_count(len(orange))
    expect(
        page.locator(
            f'{by_testid("household-item")}[data-id="{visited}"] {by_testid("household-visit-status")}'
        )
    ).to_contain_text("前走访")
    alone = [
        r["id"] for r in rows if r["care_level"] == "orange" and "elderly_alone" in json.loads(r["tags"])
    ]
    page.locator(by_testid("household-filter-tag")).select_option("elderly_alone")
    expect(items).to_have_count(len(alone))
