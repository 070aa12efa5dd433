"""矛盾调解, restricted: a member records a mediation offline — category, parties, summary, mediators picked
from colleagues, outcome, next follow-up — and two sessions; after syncing the server holds exactly that,
the co-mediator's phone shows it, and a colleague of the same grid who is not a mediator finds no trace of
it: not in the records list, not under the type filter, not on the household's page, not in IndexedDB,
not through the API."""

from __future__ import annotations

from datetime import timedelta

from conftest import NewPhone, Server
from phone import api_call, by_testid, enroll, expect_unsynced, idb_dump, screenshot, sync
from playwright.sync_api import Page, expect
from records_steps import (
    add_member,
    fields_of,
    first_household,
    log_of,
    open_records,
    record_card,
    server_record,
    shanghai_now,
)


def add_session(page: Page, form: str, notes: str) -> None:
    log = page.locator(by_testid(form.replace("-form", "-log") + "-entry"))
    before = log.count()
    page.locator(by_testid(f"{form}-notes")).fill(notes)
    page.locator(by_testid(f"{form}-save")).click()
    expect(log).to_have_count(before + 1)


def test_a_mediation_with_two_sessions_reaches_its_mediators_and_nobody_else(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    author = add_member(server, "调解员黄敏", grid)
    partner = add_member(server, "调解员郭涛", grid)
    outsider = add_member(server, "同网格许静", grid)
    household = first_household(server, grid)
    phone, partner_phone, outsider_phone = new_phone("huang-min"), new_phone("guo-tao"), new_phone("xu-jing")
    for page, member in ((phone, author), (partner_phone, partner), (outsider_phone, outsider)):
        enroll(page, server.url, server.code_for(member["id"]))

    phone.context.set_offline(True)
    open_records(phone)
    phone.locator(by_testid("mediation-new")).click()
    expect(phone.locator(by_testid("mediation-new-screen"))).to_be_visible()
    expect(phone.locator(by_testid(f"mediation-mediators-{author['id']}"))).to_be_checked()  # me, preselected
    screenshot(phone, "50-mediation-form")
    phone.locator(by_testid("mediation-household")).select_option(household)
    phone.locator(by_testid("mediation-category-neighbour")).check()
    phone.locator(by_testid("mediation-parties")).fill("2单元301 张某 与 401 李某")
    phone.locator(by_testid("mediation-summary")).fill("楼上漏水渗到楼下，双方多次争吵。")
    phone.locator(by_testid(f"mediation-mediators-{partner['id']}")).check()
    next_followup = (shanghai_now().date() + timedelta(days=7)).isoformat()
    phone.locator(by_testid("mediation-next")).fill(next_followup)
    phone.locator(by_testid("mediation-save")).click()
    expect(phone.locator(by_testid("mediation-view-screen"))).to_be_visible()
    record_id = str(phone.locator(by_testid("mediation-view-screen")).get_attribute("data-id"))
    sessions = [
        "第一次调解：双方各自陈述，同意请物业查漏点。",
        "第二次调解：物业查明是楼上水管老化，楼上同意维修并赔偿。",
    ]
    for notes in sessions:
        add_session(phone, "session-form", notes)
    expect(phone.locator(by_testid("mediation-mediators-text"))).to_have_text("我、调解员郭涛")
    expect_unsynced(phone, 3)
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "51-mediation-view-offline")
    phone.locator(by_testid("session-log")).scroll_into_view_if_needed()
    screenshot(phone, "52-mediation-sessions")

    phone.context.set_offline(False)
    sync(phone)
    expect_unsynced(phone, 0)
    state = server_record(server, record_id)
    assert fields_of(state) == {
        "category": "neighbour",
        "parties": "2单元301 张某 与 401 李某",
        "summary": "楼上漏水渗到楼下，双方多次争吵。",
        "mediators": sorted([author["id"], partner["id"]]),
        "outcome": "ongoing",
        "next_followup": next_followup,
    }
    assert [(e["value"]["notes"], e["author"]) for e in log_of(state, "sessions")] == [
        (n, author["id"]) for n in sessions
    ]
    assert {e["value"]["date"] for e in log_of(state, "sessions")} == {shanghai_now().date().isoformat()}
    (row,) = server.query("SELECT restricted FROM records WHERE id = ?", (record_id,))
    assert row["restricted"] == 1

    # The co-mediator's phone has it, with both sessions.
    sync(partner_phone)
    open_records(partner_phone, "mediation")
    record_card(partner_phone, record_id).locator(by_testid("record-open")).click()
    expect(partner_phone.locator(by_testid("session-log-entry"))).to_have_count(2)
    expect(partner_phone.locator(by_testid("mediation-parties-text"))).to_have_text(
        "2单元301 张某 与 401 李某"
    )

    # A colleague of the same grid who is not a mediator: no trace anywhere.
    sync(outsider_phone)
    open_records(outsider_phone)
    expect(
        outsider_phone.locator(by_testid("record-item"))
        .or_(outsider_phone.locator(by_testid("visits-empty")))
        .first
    ).to_be_visible()
    assert outsider_phone.locator(f'{by_testid("record-item")}[data-type="mediation"]').count() == 0
    open_records(outsider_phone, "mediation")
    expect(outsider_phone.locator(by_testid("visits-empty"))).to_be_visible()
    screenshot(outsider_phone, "53-mediation-not-visible-to-outsider")
    outsider_phone.evaluate(f"location.hash = '#/mediation/{record_id}'")
    expect(outsider_phone.locator(by_testid("mediation-not-found"))).to_be_visible()
    outsider_phone.evaluate(f"location.hash = '#/households/{household}'")
    expect(outsider_phone.locator("body")).not_to_contain_text("矛盾调解 ·")
    dump = " ".join(" ".join(rows) for rows in idb_dump(outsider_phone).values())
    assert record_id not in dump and "张某" not in dump
    assert api_call(outsider_phone, "GET", f"/api/records/{record_id}")["status"] == 404
