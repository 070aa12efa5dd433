"""Enrolling a phone: the code from a link or typed by hand, a friendly error for a bad code, and a clear
word when there is no network (enrollment is the one step that needs it)."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import by_testid, screenshot
from playwright.sync_api import expect


def test_a_bad_code_gets_a_friendly_error_and_a_typed_code_works(server: Server, new_phone: NewPhone) -> None:
    member = server.add_member("孙丽", server.cli_json("grid", "list")[0]["id"])
    page = new_phone("sun-li")
    page.goto(server.url + "/")
    expect(page.locator(by_testid("enroll-screen"))).to_be_visible()
    expect(page.locator(by_testid("enroll-offline"))).to_be_hidden()

    page.locator(by_testid("enroll-code")).fill("AAAA-BBBB")
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("enroll-error"))).to_have_text(
        "登记码无效、已过期或已被使用，请向社区重新索取。"
    )
    screenshot(page, "00-enroll-invalid-code")

    code = server.code_for(member["id"])
    page.locator(by_testid("enroll-code")).fill(code.replace("-", " ").lower())  # as people type it
    page.locator(by_testid("enroll-label")).fill("孙丽的手机")
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("households-screen"))).to_be_visible()
    expect(page.locator(by_testid("household-item")).first).to_be_visible()
    token = page.evaluate("async () => (await import('/js/db.js')).getMeta('token')")
    status, me = server.api("GET", "/api/me", token=token)
    assert (status, me["member"]["id"], me["device"]["label"]) == (200, member["id"], "孙丽的手机")


def test_offline_enrollment_says_it_needs_the_network(server: Server, new_phone: NewPhone) -> None:
    page = new_phone("offline")
    page.goto(server.url + "/#enroll=ABCD-EFGH")
    expect(page.locator(by_testid("enroll-code"))).to_have_value("ABCD-EFGH")
    page.context.set_offline(True)
    expect(page.locator(by_testid("enroll-offline"))).to_be_visible()
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "offline")
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("enroll-error"))).to_have_text("无法连接服务器，请检查网络后重试。")
    screenshot(page, "00-enroll-offline")
    page.context.set_offline(False)
    expect(page.locator(by_testid("enroll-offline"))).to_be_hidden()
