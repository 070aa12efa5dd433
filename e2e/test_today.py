"""Today 今日, the first screen after unlock (issue 6 §6), computed on the phone from synced data: curtain
checks past the grid's deadline (this module's server sets it to 00:00, so every check not yet closed is
overdue), households overdue for their visit, this month's progress; it still works after an offline
reload. And the first-five-minutes fixes of §7 that a new user meets around it: the device kind is never
preset at enrollment, the header keeps the last successful sync through failed rounds and says how old it
is, and nothing of a member stays in the header once the app is locked."""

from __future__ import annotations

import datetime
import json

import pytest
from conftest import NewPhone, Server
from phone import PIN, by_testid, enroll, screenshot, set_pin, sync, unlock
from playwright.sync_api import expect
from today_steps import colleague, shanghai_today


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"LIANHU_CURTAIN_DEADLINE": "00:00"}


def test_today_lists_overdue_curtain_checks_and_overdue_households_offline_too(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    rows = server.query(
        "SELECT id, address, care_level, tags, curtain_round FROM households WHERE grid_id = ?", (grid,)
    )
    on_round = {r["id"] for r in rows if r["curtain_round"]}
    orange = sorted(r["id"] for r in rows if r["care_level"] == "orange")
    key = [r for r in rows if r["care_level"] != "green" or json.loads(r["tags"])]
    assert on_round and len(orange) >= 2
    late, *others = orange
    # A colleague visited every orange household today except one, last visited 40 days ago (a 7-day cadence).
    buddy = colleague(server, "钱进", grid)
    today = shanghai_today()
    long_ago = (datetime.date.fromisoformat(today) - datetime.timedelta(days=40)).isoformat()
    buddy.visit(server, late, long_ago)
    for household in others:
        buddy.visit(server, household, today)

    member = server.add_member("孔丽", grid)
    page = new_phone("kong-li")
    enroll(page, server.url, server.code_for(member["id"]))
    expect(page.locator(by_testid("tab-today"))).to_have_attribute("aria-current", "page")

    def expect_today() -> None:
        curtain = page.locator(by_testid("today-curtain"))
        expect(curtain).to_have_count(len(on_round))
        assert set(curtain.evaluate_all("els => els.map(e => e.dataset.household)")) == on_round
        assert set(curtain.evaluate_all("els => els.map(e => e.dataset.overdue)")) == {"true"}
        expect(curtain.first).to_contain_text("已过 00:00 截止")
        expect(page.locator(by_testid("today-section-overdue"))).to_have_attribute(
            "data-count", str(len(rows) - len(others))
        )
        first = page.locator(by_testid("today-overdue")).first
        expect(first).to_have_attribute("data-household", late)
        expect(first).to_contain_text("逾期 33 天 · 橙色，7 天一访")
        month = page.locator(by_testid("today-month"))
        expect(month).to_have_attribute("data-total", str(len(key)))
        expect(month).to_have_attribute("data-visited", str(len(others)))
        expect(month).to_contain_text(f"本月已访 {len(others)}/{len(key)} 户")

    expect_today()
    screenshot(page, "50-today")
    page.locator(by_testid("today-section-overdue")).scroll_into_view_if_needed()
    screenshot(page, "51-today-overdue")

    # Each entry opens its screen: the overdue household's page says how late the visit is.
    page.locator(by_testid("today-overdue")).first.click()
    expect(page.locator(f'{by_testid("household-screen")}[data-id="{late}"]')).to_be_visible()
    expect(page.locator(by_testid("household-due"))).to_have_text("已逾期 33 天，请尽快走访")
    page.locator(by_testid("tab-today")).click()
    page.locator(by_testid("today-more-overdue")).click()
    expect(page.locator(by_testid("household-filter-overdue"))).to_have_attribute("aria-pressed", "true")
    expect(page.locator(by_testid("household-item"))).to_have_count(len(rows) - len(others))
    curtain_href = page.evaluate("() => location.hash")
    assert curtain_href == "#/households?overdue=1"

    # No signal: reload, PIN, and Today is computed again from what the phone holds.
    page.locator(by_testid("tab-today")).click()
    page.context.set_offline(True)
    page.reload()
    unlock(page)
    expect(page.locator(by_testid("today-screen"))).to_be_visible()
    expect_today()


def test_enrollment_asks_the_device_kind_and_the_header_keeps_the_last_sync(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    member = server.add_member("卫东", grid)
    page = new_phone("wei-dong")
    page.clock.install()
    page.goto(f"{server.url}/#enroll={server.code_for(member['id'])}")
    expect(page.locator(by_testid("enroll-member"))).to_have_text("这是卫东的登记码")
    expect(page.locator(by_testid("enroll-own"))).not_to_be_checked()
    expect(page.locator(by_testid("enroll-shared"))).not_to_be_checked()
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("enroll-error"))).to_have_text(
        "请选择：这是您自己的手机，还是网格站的共用设备"
    )
    screenshot(page, "55-enroll-device-kind")
    page.locator(by_testid("enroll-own")).check()
    page.locator(by_testid("enroll-submit")).click()
    set_pin(page)
    expect(page.locator(by_testid("today-screen"))).to_be_visible()
    sync(page)
    last = page.locator(by_testid("last-sync"))
    expect(last).to_have_text("刚刚同步")
    synced_at = last.get_attribute("data-at")
    assert synced_at

    # A failed round (no signal) keeps the last success, and the toast is finished text.
    page.context.set_offline(True)
    sync(page)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "offline")
    expect(page.locator(by_testid("toast"))).to_have_text("同步失败：无法连接服务器，请检查网络后重试。")
    expect(last).to_have_attribute("data-at", synced_at)
    expect(last).to_have_text("刚刚同步")
    page.clock.fast_forward("05:00")
    expect(last).to_have_text("5 分钟前同步")
    screenshot(page, "56-header-after-failed-sync")

    # Locking (切换成员) leaves nothing of the member in the header.
    page.locator(by_testid("current-member")).click()
    expect(page.locator(by_testid("members-screen"))).to_be_visible()
    for part in ("current-member", "unsynced-count", "last-sync", "sync-button"):
        expect(page.locator(by_testid(part))).to_be_hidden()
    assert "卫东" not in page.locator(by_testid("app-header")).inner_text()
    expect(last).to_have_text("")
    page.locator(by_testid("member-item")).click()
    unlock(page, PIN)
    expect(last).to_have_attribute("data-at", synced_at)
