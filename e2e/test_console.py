"""The coordinators' console in a real browser: a community coordinator enrolls in the app on an office
computer, opens /console/, adds a member, issues an enrollment link, and the new member's phone enrolls with
that link; the coordinator then sees the phone in the member's devices, logs out of the console and back in
with the app's own login (device key + PIN) through /console/login.

Screenshots (1280×800 and 360×740) go to .tmp/screenshots/console-*.png for a person to look at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
from conftest import NewPhone, Server
from console_steps import add_coordinator, both_sizes, community_and_grid, office_browser, open_console
from phone import PIN, by_testid, enroll
from playwright.sync_api import Browser, Page, expect

from sync import uuid7


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """The community office's computer."""
    with office_browser(browser) as page:
        yield page


def test_a_coordinator_adds_a_member_whose_phone_enrolls_with_the_link_from_the_console(
    server: Server, desk: Page, new_phone: NewPhone
) -> None:
    community, grid = community_and_grid(server)
    coordinator = add_coordinator(server, community["id"])

    # The coordinator enrolls this office browser in the app, then opens the console.
    open_console(desk, server, coordinator)
    expect(desk.locator(by_testid("console-who"))).to_contain_text("刘书记")
    expect(desk.locator(by_testid("console-who"))).to_contain_text(community["name"])

    # Members and devices: the community's members, then a new one.
    desk.locator(by_testid("nav-members")).click()
    expect(desk.locator(by_testid("member-row")).first).to_be_visible()
    both_sizes(desk, "members")
    desk.locator(by_testid("member-add")).click()
    desk.locator(by_testid("new-name")).fill("孟新")
    desk.locator(by_testid("new-role")).select_option("member")
    desk.locator(by_testid("new-area")).select_option(str(grid["id"]))
    both_sizes(desk, "new-member")
    desk.locator(by_testid("new-submit")).click()
    expect(desk.locator(by_testid("done"))).to_have_attribute("data-done", "added")
    expect(desk.locator(by_testid("member-areas"))).to_have_text(grid["name"])
    member_page = desk.url

    # An enrollment link with its QR code, on screen.
    desk.locator(by_testid("issue-code")).click()
    expect(desk.locator(by_testid("enrollment-code")).locator("svg")).to_be_visible()
    link = desk.locator(by_testid("code-link")).get_attribute("href")
    code = desk.locator(by_testid("code-value")).inner_text().strip()
    assert link == f"{server.url}/#enroll={code}"
    both_sizes(desk, "code")

    # The new member opens the link on their phone and enrolls.
    phone = new_phone("meng-xin")
    phone.goto(link)
    enroll(phone, server.url, code, navigate=False)

    desk.goto(member_page)
    rows = desk.locator(by_testid("device-row"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "active")
    both_sizes(desk, "member")

    # A colleague in that grid syncs a visit: the overview lists it among the recent records.
    colleague = next(
        m for m in server.cli_json("member", "list", "--area", str(grid["id"])) if m["name"] != "孟新"
    )
    token = server.enroll_token(colleague["id"])
    _, me = server.api("GET", "/api/me", token=token)
    _, households = server.api("GET", "/api/households", token=token)
    visit = {
        "id": uuid7(), "record": uuid7(), "type": "visit", "household": households["households"][0]["id"],
        "clock": f"{int(time.time() * 1000):015d}-00000", "replica": me["device"]["id"], "kind": "set",
        "fields": {"date": date.today().isoformat(), "items": ["policy"], "notes": "老人身体尚好"},
    }  # fmt: skip
    status, pushed = server.api("POST", "/api/sync/push", token=token, body={"ops": [visit]})
    assert (status, pushed["results"][0]["status"]) == (200, "accepted"), pushed
    desk.locator(by_testid("nav-home")).click()
    expect(desk.locator(f'{by_testid("recent-record")}[data-record-id="{visit["record"]}"]')).to_be_visible()
    both_sizes(desk, "home")

    # Log out of the console; log in again through /console/login with the app's device key and the PIN.
    desk.locator(by_testid("console-logout")).click()
    expect(desk.locator(by_testid("console-login"))).to_be_visible()
    expect(desk.locator(by_testid("login-pin"))).to_be_visible()
    both_sizes(desk, "login")
    desk.locator(by_testid("login-pin")).fill("000000")
    desk.locator(by_testid("login-submit")).click()
    expect(desk.locator(by_testid("login-error"))).to_contain_text("4")
    desk.locator(by_testid("login-pin")).fill(PIN)
    desk.locator(by_testid("login-submit")).click()
    expect(desk.locator(by_testid("console-who"))).to_contain_text("刘书记", timeout=30_000)
    assert desk.url == f"{server.url}/console/"
    logins = server.query(
        "SELECT count(*) AS n FROM audit_log WHERE kind = 'login' AND member_id = ?", (coordinator["id"],)
    )
    assert logins[0]["n"] == 1
