"""My households: the households of my grids only, searchable by tag label, address or head, and a
household's 记走访 starts a visit with the household already chosen."""

from __future__ import annotations

import json

from conftest import NewPhone, Server
from phone import by_testid, enroll, household_ids, screenshot
from playwright.sync_api import expect


def test_my_households_are_searchable_and_start_a_visit(server: Server, new_phone: NewPhone) -> None:
    grid = server.cli_json("grid", "list")[0]
    member = server.add_member("陈静", grid["id"])
    page = new_phone("chen-jing")
    enroll(page, server.url, server.code_for(member["id"]))

    mine = server.query("SELECT id, address, tags FROM households WHERE grid_id = ?", (grid["id"],))
    assert sorted(household_ids(page)) == sorted(row["id"] for row in mine)
    expect(page.locator(by_testid("household-count"))).to_have_text(f"共 {len(mine)} 户")

    alone = [row["id"] for row in mine if "elderly_alone" in json.loads(row["tags"])]
    page.locator(by_testid("household-search")).fill("独居")
    expect(page.locator(by_testid("household-item"))).to_have_count(len(alone))
    assert sorted(household_ids(page)) == sorted(alone)
    screenshot(page, "02b-households-search")

    target = next(row for row in mine if row["id"] == alone[0])
    page.locator(by_testid("household-search")).fill(target["address"])
    expect(page.locator(by_testid("household-item"))).to_have_count(1)
    page.locator(by_testid("household-visit")).click()
    expect(page.locator(by_testid("visit-new-screen"))).to_be_visible()
    expect(page.locator(by_testid("visit-household"))).to_have_value(target["id"])
    screenshot(page, "03b-visit-form-top")
    page.locator(by_testid("visit-request")).scroll_into_view_if_needed()
    screenshot(page, "03c-visit-form-bottom")
