"""(b) The fallback path, in a browser without WebAuthn: enrollment makes a device key; after a logout
the device key logs in by itself once the PIN has unlocked the data; with no signal the PIN still opens
the app after a reload; five wrong PINs lock the member (the server learns it when the signal is back,
and refuses the device from then on); and enrolling the member again on this browser syncs what was
recorded before the lockout."""

from __future__ import annotations

import time
from collections.abc import Callable

from conftest import NewPhone, Server
from phone import (
    Visit,
    by_testid,
    enroll,
    expect_unsynced,
    household_ids,
    logout,
    record_visit,
    screenshot,
    set_pin,
    sync,
    unlock,
    visit_ids,
    wait_for_service_worker,
    wrong_pin,
)
from playwright.sync_api import expect

BEFORE_LOCKOUT = "锁定前离线记录：老人说暖气不热，已登记。"


def wait_for(check: Callable[[], object], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_device_key_login_offline_unlock_lockout_and_reenrollment(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    member = server.add_member("何静", grid)
    page = new_phone("he-jing")  # no PublicKeyCredential at all
    enroll(page, server.url, server.code_for(member["id"]))
    (device,) = server.query("SELECT id, method FROM devices WHERE member_id = ?", (member["id"],))
    assert device["method"] == "device_key"
    wait_for_service_worker(page)

    # Log out, then the PIN and the device key bring the session back without any tap.
    logout(page)
    unlock(page)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "online")
    expect(page.locator(by_testid("login-banner"))).to_have_count(0)
    first = household_ids(page)[0]
    record_visit(page, first, Visit(notes="设备密钥登录后的走访"))
    sync(page)
    expect_unsynced(page, 0)
    kinds = [
        row["kind"] for row in server.query("SELECT kind FROM audit_log WHERE device_id = ?", (device["id"],))
    ]
    assert "login" in kinds, kinds

    # No signal: record, reload, and the PIN opens the app from the service worker's cache.
    page.context.set_offline(True)
    record_visit(page, first, Visit(notes=BEFORE_LOCKOUT, items=("care",)))
    expect_unsynced(page, 1)
    page.reload()
    expect(page.locator(by_testid("unlock-screen"))).to_be_visible()
    unlock(page)
    page.locator(by_testid("tab-visits")).click()
    expect(page.locator(by_testid("visit-item"))).to_have_count(2)
    expect_unsynced(page, 1)
    offline_record = next(
        rid for rid in visit_ids(page) if server.query("SELECT 1 FROM records WHERE id = ?", (rid,)) == []
    )

    # Five wrong PINs, still offline.
    page.locator(by_testid("current-member")).click()
    expect(page.locator(by_testid("members-screen"))).to_be_visible()
    page.locator(by_testid("member-item")).click()
    for left in (4, 3, 2, 1):
        wrong_pin(page, "000000", f"还可以再试 {left} 次")
    screenshot(page, "31-wrong-pin")
    wrong_pin(page, "000000", "请联系社区重新登记")
    expect(page.locator(by_testid("locked-unsynced"))).to_contain_text("1 条未同步")
    screenshot(page, "32-locked")
    page.reload()
    expect(page.locator(by_testid("locked-screen"))).to_be_visible()  # not undone by a reload

    # Back online: the lockout is reported, and the device can no longer log in.
    page.context.set_offline(False)
    wait_for(
        lambda: server.query("SELECT locked_at FROM devices WHERE id = ?", (device["id"],))[0]["locked_at"]
    )
    status, refused = server.api("POST", "/api/login/start", body={"device": device["id"]})
    assert (status, refused["error"]["code"]) == (401, "unauthenticated")
    assert server.query("SELECT 1 FROM records WHERE id = ?", (offline_record,)) == []

    # Enrolled again with a new code: same data, new PIN, and what was recorded before the lockout syncs.
    page.locator(by_testid("locked-reenroll")).click()
    code = server.code_for(member["id"])
    page.locator(by_testid("enroll-code")).fill(code)
    expect(page.locator(by_testid("enroll-member"))).to_contain_text("重新登记后")
    # Own phone or shared device is the member's choice, never preset (it came preset to "shared").
    expect(page.locator(by_testid("enroll-own"))).not_to_be_checked()
    expect(page.locator(by_testid("enroll-shared"))).not_to_be_checked()
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("enroll-error"))).to_have_text(
        "请选择：这是您自己的手机，还是网格站的共用设备"
    )
    page.locator(by_testid("enroll-own")).check()
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("pin-unsynced"))).to_contain_text("1 条未同步")
    set_pin(page, "470286", shot="33-reenroll-pin")
    expect(page.locator(by_testid("today-screen"))).to_be_visible()
    sync(page)
    expect_unsynced(page, 0)
    (row,) = server.query(
        "SELECT replica, author_id, device_id, body FROM ops WHERE record_id = ?", (offline_record,)
    )
    devices = [
        d["id"]
        for d in server.query(
            "SELECT id FROM devices WHERE member_id = ? ORDER BY created_at", (member["id"],)
        )
    ]
    assert devices[0] == device["id"] and len(devices) == 2
    assert (row["replica"], row["author_id"]) == (device["id"], member["id"]), (
        "stamped as recorded: the old replica"
    )
    assert row["device_id"] == devices[1], "pushed under the new enrollment's session"
    assert BEFORE_LOCKOUT in row["body"]
