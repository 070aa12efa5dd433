"""Enrolling a phone: the code from a link or typed by hand, a friendly error for a bad code, a clear
word when there is no network (enrollment is the one step that needs it), and inside WeChat an
explanation of how to open the link in the phone's browser instead."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import api_call, by_testid, screenshot, set_pin
from playwright.sync_api import expect


def test_a_bad_code_gets_a_friendly_error_and_a_typed_code_works(server: Server, new_phone: NewPhone) -> None:
    member = server.add_member("孙丽", server.cli_json("grid", "list")[0]["id"])
    page = new_phone("sun-li")
    page.goto(server.url + "/")
    expect(page.locator(by_testid("enroll-screen"))).to_be_visible()
    expect(page.locator(by_testid("enroll-offline"))).to_be_hidden()

    page.locator(by_testid("enroll-code")).fill("AAAA-BBBB")
    page.locator(by_testid("enroll-own")).check()
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("enroll-error"))).to_have_text(
        "登记码无效、已过期或已被使用，请向社区重新索取。"
    )
    screenshot(page, "00-enroll-invalid-code")

    code = server.code_for(member["id"])
    page.locator(by_testid("enroll-code")).fill(code.replace("-", " ").lower())  # as people type it
    page.locator(by_testid("enroll-label")).fill("孙丽的手机")
    expect(page.locator(by_testid("enroll-member"))).to_have_text("这是孙丽的登记码")
    page.locator(by_testid("enroll-submit")).click()

    expect(page.locator(by_testid("pin-setup-screen"))).to_be_visible()
    page.locator(by_testid("pin-new")).fill("123456")
    page.locator(by_testid("pin-confirm")).fill("123456")
    page.locator(by_testid("pin-submit")).click()
    expect(page.locator(by_testid("pin-error"))).to_have_text("PIN 码太简单，请不要用重复或连续的数字")
    page.locator(by_testid("pin-new")).fill("135790")
    page.locator(by_testid("pin-confirm")).fill("135791")
    page.locator(by_testid("pin-submit")).click()
    expect(page.locator(by_testid("pin-error"))).to_have_text("两次输入的 PIN 码不一致，请重新输入")
    screenshot(page, "00b-pin-mismatch")
    set_pin(page, "135790")
    expect(page.locator(by_testid("today-screen"))).to_be_visible()
    me = api_call(page, "GET", "/api/me")["body"]
    assert isinstance(me, dict)
    assert (me["member"]["id"], me["device"]["label"], me["device"]["method"]) == (
        member["id"],
        "孙丽的手机",
        "device_key",
    )


def test_offline_enrollment_says_it_needs_the_network(server: Server, new_phone: NewPhone) -> None:
    page = new_phone("offline")
    page.goto(server.url + "/#enroll=ABCD-EFGH")
    expect(page.locator(by_testid("enroll-code"))).to_have_value("ABCD-EFGH")
    page.context.set_offline(True)
    expect(page.locator(by_testid("enroll-offline"))).to_be_visible()
    expect(page.locator(by_testid("net-status"))).to_have_attribute("data-state", "offline")
    page.locator(by_testid("enroll-own")).check()
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("enroll-error"))).to_have_text("无法连接服务器，请检查网络后重试。")
    screenshot(page, "00-enroll-offline")
    page.context.set_offline(False)
    expect(page.locator(by_testid("enroll-offline"))).to_be_hidden()


def test_inside_wechat_the_page_explains_how_to_open_the_link_in_the_browser(
    server: Server, new_phone: NewPhone
) -> None:
    wechat = (
        "Mozilla/5.0 (Linux; Android 12; V2148A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/110.0 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230405 MMWEBID/2585 "
        "MicroMessenger/8.0.35.2360 WeChat/arm64"
    )
    page = new_phone("wechat", user_agent=wechat)
    started: list[str] = []
    page.on("request", lambda request: started.append(request.url) if "/api/" in request.url else None)
    page.goto(server.url + "/#enroll=ABCD-EFGH")
    notice = page.locator(by_testid("wechat-notice"))
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("右上角")
    expect(notice).to_contain_text("在浏览器打开")
    expect(page.locator(by_testid("wechat-link"))).to_have_text(server.url + "/#enroll=ABCD-EFGH")
    expect(page.locator(by_testid("enroll-form"))).to_have_count(0)
    screenshot(page, "00c-wechat")
    assert started == [], "inside WeChat nothing is sent to the server"
