"""(c) A grid-station tablet: two members on one browser profile, each with their own device key, PIN
and encrypted data. The second member never sees the first one's records; IndexedDB holds only
ciphertext for them; one member's login leaves the other's unsynced records alone; and logging out
with unsynced records asks first, saying how many."""

from __future__ import annotations

import time

from conftest import NewPhone, Server
from phone import (
    PIN,
    Visit,
    by_testid,
    enroll,
    expect_unsynced,
    household_ids,
    idb_dump,
    logout,
    record_visit,
    screenshot,
    sync,
    unlock,
    visit_card,
    visit_ids,
)
from playwright.sync_api import Page, expect

SECRET_NOTES = "老人患有糖尿病，儿子在外地打工，独自生活。"
SECRET_REQUEST = "申请低保复审"
LATER_NOTES = "第二次走访：血糖控制较好。"


def expect_session_ended(page: Page) -> None:
    """Typing an API address into the browser (a new tab of the same profile) reads nothing."""
    probe = page.context.new_page()
    deadline = time.monotonic() + 10
    while True:
        response = probe.goto(page.url.split("#")[0] + "api/households")
        assert response is not None
        if response.status == 401 or time.monotonic() > deadline:
            break
        probe.wait_for_timeout(200)  # the app ends the session as soon as it notices it is online
    assert response.status == 401, response.text()[:200]
    assert response.headers["cache-control"] == "no-store"
    probe.close()


def test_two_members_share_a_tablet_without_seeing_each_others_records(
    server: Server, new_phone: NewPhone
) -> None:
    grids = server.cli_json("grid", "list")
    grid_a, grid_b = grids[0]["id"], grids[1]["id"]
    first = server.add_member("马兰", grid_a)
    second = server.add_member("高峰", grid_b)
    page = new_phone("tablet")

    enroll(page, server.url, server.code_for(first["id"]))
    household = household_ids(page)[0]
    (address,) = server.query("SELECT address, head_name AS head FROM households WHERE id = ?", (household,))
    page.context.set_offline(True)
    record_visit(page, household, Visit(notes=SECRET_NOTES, items=("care",), request=SECRET_REQUEST))
    (record_id,) = visit_ids(page)

    # 切换成员 → 添加成员: the second member enrolls on the same browser (member 1's visit still unsynced).
    # The switch happens offline, so the server session outlives it until the tablet is back online.
    page.locator(by_testid("current-member")).click()
    expect(page.locator(by_testid("members-screen"))).to_be_visible()
    expect(page.locator(by_testid("member-item"))).to_have_count(1)
    page.context.set_offline(False)
    expect_session_ended(page)
    page.locator(by_testid("member-add")).click()
    expect(page.locator(by_testid("enroll-shared"))).not_to_be_checked()  # the member says so, below
    code = server.code_for(second["id"])
    page.locator(by_testid("enroll-code")).fill(code)
    expect(page.locator(by_testid("enroll-member"))).to_have_text("这是高峰的登记码")
    screenshot(page, "40-add-member")
    enroll(page, server.url, code, pin="369147", navigate=False, shared=True)
    (shared_device,) = server.query("SELECT shared FROM devices WHERE member_id = ?", (second["id"],))
    assert shared_device["shared"]

    # Member 2 sees their own grid only, and nothing of member 1's — before and after a sync.
    for step in ("before sync", "after sync"):
        assert household not in household_ids(page), step
        page.locator(by_testid("tab-visits")).click()
        expect(page.locator(by_testid("visits-empty"))).to_be_visible()
        for text in (SECRET_NOTES, SECRET_REQUEST, address["address"]):
            assert text not in page.locator("body").inner_text(), (step, text)
        if step == "before sync":
            sync(page)
    screenshot(page, "41-second-member-visits")

    # What IndexedDB holds of member 1 is ciphertext: no notes, request, address or household id anywhere.
    dump = idb_dump(page)
    everything = "\n".join(value for values in dump.values() for value in values)
    for text in (
        SECRET_NOTES,
        SECRET_REQUEST,
        "糖尿病",
        address["address"],
        address["head"],
        household,
        record_id,
    ):
        assert text not in everything, text
    assert any("马兰" in value for value in dump["members"]), "names are in the plaintext directory"
    # Member 1's visit is kept, sealed: records live in chunks, keyed [member, "r", number] (db/chunks.js).
    assert any(row.split(" ")[1] == "r" for row in dump["chunks"]) and len(dump["outbox"]) == 1

    # Handing the tablet on online ends member 2's session at once: the next person cannot read the
    # scope by typing an API address, and nothing of it stays in the browser's cache.
    page.locator(by_testid("current-member")).click()
    expect(page.locator(by_testid("members-screen"))).to_be_visible()
    expect_session_ended(page)

    # Back to member 1: the PIN, the device key's login (the cookie is member 2's now), and the sync.
    expect(page.locator(by_testid("member-item"))).to_have_count(2)
    expect(page.locator(f'{by_testid("member-item")}[data-id="{first["id"]}"]')).to_contain_text("1 条未同步")
    screenshot(page, "42-choose-member")
    page.locator(f'{by_testid("member-item")}[data-id="{first["id"]}"]').click()
    expect(page.locator(by_testid("unlock-name"))).to_have_text("马兰")
    unlock(page, PIN)
    page.locator(by_testid("tab-visits")).click()
    expect(visit_card(page, record_id).locator(by_testid("visit-notes-text"))).to_have_text(SECRET_NOTES)
    sync(page)
    expect_unsynced(page, 0)
    assert server.query("SELECT 1 FROM records WHERE id = ?", (record_id,)), "member 2's login lost nothing"

    # Logging out with an unsynced record asks first, saying how many (offline, so it stays unsynced).
    page.context.set_offline(True)
    record_visit(page, household, Visit(notes=LATER_NOTES))
    page.locator(by_testid("tab-me")).click()
    page.locator(by_testid("logout")).click()
    expect(page.locator(by_testid("logout-dialog-message"))).to_contain_text("还有 1 条记录")
    screenshot(page, "43-logout-unsynced")
    page.locator(by_testid("logout-dialog-cancel")).click()
    expect(page.locator(by_testid("me-screen"))).to_be_visible()
    logout(page, confirm_unsynced=1)
    expect(page.locator(by_testid("members-screen"))).to_be_visible()
    expect(page.locator(f'{by_testid("member-item")}[data-id="{first["id"]}"]')).to_contain_text("1 条未同步")
