"""A change the server refuses stays on the phone, marked 被拒绝 with the reason, is not sent again by
itself, and goes away only when the member discards it. Also: the English interface."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import by_testid, enroll, expect_unsynced, screenshot, sync, unlock, visit_card
from playwright.sync_api import expect


def test_a_rejected_visit_stays_marked_until_the_member_discards_it(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    member = server.add_member("周敏", grid)
    page = new_phone("zhou-min")
    enroll(page, server.url, server.code_for(member["id"]))
    (outside,) = server.query("SELECT id FROM households WHERE grid_id != ? LIMIT 1", (grid,))

    # The form only offers my households, so make the op the way a stale phone would: straight into
    # the outbox.
    record_id = page.evaluate(
        """async (household) => {
          const { createVisit } = await import('/js/outbox.js');
          return createVisit(
            {household, date: '2026-11-20', items: ['policy'], notes: '不在我网格的户', request: null});
        }""",
        outside["id"],
    )
    page.locator(by_testid("tab-visits")).click()
    sync(page)
    card = visit_card(page, record_id)
    expect(card.locator(by_testid("visit-status"))).to_have_attribute("data-status", "rejected")
    expect(card.locator(by_testid("visit-status"))).to_have_text("被拒绝")
    expect(card.locator(by_testid("visit-rejection-reason"))).to_have_text("该户不在您负责的网格内")
    expect_unsynced(page, 1)
    screenshot(page, "10-visit-rejected")

    sync(page)  # not retried by itself
    expect(card.locator(by_testid("visit-status"))).to_have_attribute("data-status", "rejected")
    assert server.query("SELECT count(*) AS n FROM ops WHERE record_id = ?", (record_id,))[0]["n"] == 0

    page.locator(by_testid("tab-me")).click()
    page.locator(by_testid("lang-en")).click()
    expect(page.locator(by_testid("sync-button"))).to_have_text("⟳ Sync")
    screenshot(page, "11-me-english")
    page.locator(by_testid("tab-visits")).click()
    expect(card.locator(by_testid("visit-rejection-reason"))).to_have_text(
        "This household is not in your grids"
    )
    expect(page.locator(by_testid("unsynced-count"))).to_have_text("1 unsynced")
    screenshot(page, "12-visits-english")
    page.reload()
    unlock(page)
    page.locator(by_testid("tab-visits")).click()
    expect(page.locator(by_testid("unsynced-count"))).to_have_text("1 unsynced")  # the choice is remembered

    page.once("dialog", lambda dialog: dialog.accept())
    card.locator(by_testid("visit-discard")).click()
    expect(card).to_have_count(0)
    expect_unsynced(page, 0)
