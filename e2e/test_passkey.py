"""(a) The passkey path, with Chromium's virtual authenticator (user verification on): enroll from the
link, register a passkey, set the PIN, log out, unlock with the PIN, log in again with the passkey, and
record a visit that reaches the server from this device."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import (
    Visit,
    by_testid,
    expect_unsynced,
    household_ids,
    logout,
    record_visit,
    screenshot,
    set_pin,
    sync,
    unlock,
)
from playwright.sync_api import Page, expect


def test_a_passkey_member_enrolls_logs_out_and_logs_in_again(server: Server, new_phone: NewPhone) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    member = server.add_member("刘洋", grid)
    page = new_phone("liu-yang", webauthn="virtual")
    code = server.code_for(member["id"])

    page.goto(f"{server.url}/#enroll={code}")
    expect(page.locator(by_testid("enroll-member"))).to_have_text("这是刘洋的登记码")
    screenshot(page, "20-enroll-link")
    page.locator(by_testid("enroll-own")).check()
    page.locator(by_testid("enroll-submit")).click()
    set_pin(page, "258036", shot="21-pin-setup")
    expect(page.locator(by_testid("today-screen"))).to_be_visible()

    (device,) = server.query(
        "SELECT id, method, credential_id, sign_count FROM devices WHERE member_id = ?", (member["id"],)
    )
    assert device["method"] == "passkey" and device["credential_id"]
    page.locator(by_testid("tab-me")).click()
    expect(page.locator(by_testid("me-method"))).to_have_text("通行密钥")
    expect(page.locator(by_testid("me-device"))).to_have_text(device["id"])
    screenshot(page, "22-me-passkey")

    logout(page)  # nothing unsynced: no question asked
    expect(page.locator(by_testid("unlock-name"))).to_have_text("刘洋")
    screenshot(page, "23-unlock")
    status, _ = page_me(page)
    assert status == 401, "logging out ended the server session"

    unlock(page)
    banner = page.locator(by_testid("login-banner"))
    expect(banner).to_have_attribute("data-state", "needed")
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "signedout")
    screenshot(page, "24-login-banner")
    page.locator(by_testid("login-button")).click()
    expect(banner).to_have_count(0)
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "online")
    assert page_me(page) == (200, device["id"])

    household = household_ids(page)[0]
    record_visit(page, household, Visit(notes="通行密钥登录后记录的走访", items=("policy",)))
    sync(page)
    expect_unsynced(page, 0)
    (op,) = server.query("SELECT replica, author_id FROM ops WHERE household_id = ?", (household,))
    assert (op["replica"], op["author_id"]) == (device["id"], member["id"])
    logins = server.query("SELECT kind FROM audit_log WHERE device_id = ? ORDER BY id", (device["id"],))
    assert [row["kind"] for row in logins].count("login") >= 1, [row["kind"] for row in logins]


def page_me(page: Page) -> tuple[int, str | None]:
    """GET /api/me from the page: the status and the device of the session its cookie holds."""
    result = page.evaluate(
        "() => fetch('/api/me').then(async (r) => [r.status, r.ok ? (await r.json()).device.id : null])"
    )
    return int(result[0]), result[1]
