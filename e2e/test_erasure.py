"""Erasure reaches the phone (issue 9, PIPL): a visit on a member's phone, erased on the server at a
resident's request, is gone from the phone's IndexedDB after the phone's next sync — from what the app
shows, from what it reads back after a reload, and with the member's unsent edit of it too."""

from __future__ import annotations

from typing import Any

from conftest import NewPhone, Server, run_cli
from phone import (
    Visit,
    by_testid,
    edit_notes,
    enroll,
    expect_unsynced,
    household_ids,
    idb_dump,
    record_visit,
    screenshot,
    sync,
    unlock,
    visit_card,
    visit_ids,
)
from playwright.sync_api import Page, expect

NOTES = "老人身体尚好，血压偏高，每日服药。"


def local_records(page: Page) -> dict[str, Any]:
    """The records the app holds for the unlocked member, read through its own IndexedDB layer."""
    found: dict[str, Any] = page.evaluate(
        """async () => {
          const db = await import('/js/db.js');
          const states = await db.listRecords();
          return Object.fromEntries(states.map((state) => [state.id, JSON.stringify(state)]));
        }"""
    )
    return found


def test_a_visit_the_server_erases_leaves_the_phone_at_its_next_sync(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]
    (community,) = [area for area in server.cli_json("area", "list") if area["id"] == grid["id"]]
    coordinator = server.cli_json(
        "member", "add", "--name", "社区书记", "--area", str(community["parent"]), "--role", "community"
    )
    member = server.add_member("何静", grid["id"])
    page = new_phone("he-jing")
    enroll(page, server.url, server.code_for(member["id"]))
    household = household_ids(page)[0]
    record_visit(page, household, Visit(notes=NOTES, items=("care",)))
    sync(page)
    expect_unsynced(page, 0)
    (record,) = visit_ids(page)
    assert NOTES in local_records(page)[record]
    assert server.query("SELECT 1 FROM records WHERE id = ?", (record,))
    # An edit the member makes before the phone hears of the erasure: it must not survive either.
    page.context.set_offline(True)
    edit_notes(page, record, NOTES + "（补充）")
    expect_unsynced(page, 1)
    screenshot(page, "erasure-01-before")

    run_cli(server.db_path, "resident", "erase", "--household", household, "--by", str(coordinator["id"]))
    assert [row["kind"] for row in server.query("SELECT kind FROM ops WHERE record_id = ?", (record,))] == [
        "erase"
    ]
    assert record in local_records(page)  # the phone has not synced yet

    page.context.set_offline(False)
    sync(page)

    expect_unsynced(page, 0)
    assert record not in local_records(page)
    page.locator(by_testid("tab-visits")).click()
    expect(visit_card(page, record)).to_have_count(0)
    assert idb_dump(page)["outbox"] == []
    assert [row["kind"] for row in server.query("SELECT kind FROM ops WHERE record_id = ?", (record,))] == [
        "erase"
    ]
    screenshot(page, "erasure-02-after")
    # What the phone reads back from IndexedDB after a reload (not only what it kept in memory).
    page.reload()
    unlock(page)
    assert record not in local_records(page)
    assert all(NOTES not in state for state in local_records(page).values())
