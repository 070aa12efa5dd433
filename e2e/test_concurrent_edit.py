"""Two members of one grid edit the same visit's notes while both phones are offline. After syncing, both
phones and the server agree on one winner (last writer wins by HLC, docs §3.3), and the losing notes are
kept in the record's `overwritten` list and its history."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import (
    Visit,
    by_testid,
    edit_notes,
    enroll,
    expect_unsynced,
    household_ids,
    record_visit,
    screenshot,
    sync,
    visit_card,
    visit_ids,
)
from playwright.sync_api import expect

from sync import state_from_storage, state_to_json


def test_concurrent_offline_edits_converge_on_one_winner(server: Server, new_phone: NewPhone) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    alice = server.add_member("王芳", grid)
    bob = server.add_member("赵强", grid)
    phone_a, phone_b = new_phone("wang-fang"), new_phone("zhao-qiang")
    enroll(phone_a, server.url, server.code_for(alice["id"]))
    enroll(phone_b, server.url, server.code_for(bob["id"]))

    household = household_ids(phone_a)[0]
    first_notes = "初次走访：老人腿脚不便，独自在家。"
    record_visit(phone_a, household, Visit(notes=first_notes, items=("care", "safety")))
    sync(phone_a)
    expect_unsynced(phone_a, 0)
    (record_id,) = visit_ids(phone_a)

    phone_b.locator(by_testid("tab-visits")).click()
    sync(phone_b)
    card_b = visit_card(phone_b, record_id)
    expect(card_b.locator(by_testid("visit-notes-text"))).to_have_text(first_notes)
    expect(card_b.locator(by_testid("visit-author"))).to_have_text("记录人：王芳")
    screenshot(phone_b, "07-colleague-visit-on-second-phone")

    phone_a.context.set_offline(True)
    phone_b.context.set_offline(True)
    notes_a = "王芳补充：已联系社区医生每周上门一次。"
    notes_b = "赵强补充：家属说下周接老人同住。"
    edit_notes(phone_a, record_id, notes_a)
    edit_notes(phone_b, record_id, notes_b, shot="08a-visit-edit-offline")
    expect_unsynced(phone_a, 1)
    expect_unsynced(phone_b, 1)
    expect(visit_card(phone_b, record_id).locator(by_testid("visit-status"))).to_have_attribute(
        "data-status", "pending"
    )
    screenshot(phone_b, "08-offline-edit-pending")

    phone_a.context.set_offline(False)
    phone_b.context.set_offline(False)
    sync(phone_a)
    sync(phone_b)
    sync(phone_a)  # A pulls B's write
    expect_unsynced(phone_a, 0)
    expect_unsynced(phone_b, 0)

    (row,) = server.query("SELECT state FROM records WHERE id = ?", (record_id,))
    notes = state_to_json(state_from_storage(row["state"]))["fields"]["notes"]
    winner = notes["value"]
    assert winner in (notes_a, notes_b)
    loser = notes_b if winner == notes_a else notes_a
    # Losers stay, ascending by stamp: the first notes, then the edit that lost.
    assert [write["value"] for write in notes["overwritten"]] == [first_notes, loser]
    assert {notes["author"]} == {alice["id"] if winner == notes_a else bob["id"]}

    for phone in (phone_a, phone_b):
        card = visit_card(phone, record_id)
        expect(card.locator(by_testid("visit-notes-text"))).to_have_text(winner)
        expect(card.locator(by_testid("visit-status"))).to_have_attribute("data-status", "synced")
    editor = visit_card(phone_a, record_id).locator(by_testid("visit-editor"))
    if winner == notes_b:
        expect(editor).to_have_text("最后修改：赵强")  # A created it; B's edit is what A now reads
    else:
        expect(editor).to_have_count(0)
    screenshot(phone_a, "09-converged")

    # A third device, enrolled only to read what a coordinator would read through the API.
    reviewer = server.add_member("审核员", grid)
    token = server.enroll_token(reviewer["id"])
    status, history = server.api("GET", f"/api/records/{record_id}/history", token=token)
    assert status == 200, history
    record_notes = history["record"]["fields"]["notes"]
    assert record_notes["value"] == winner
    assert loser in [write["value"] for write in record_notes["overwritten"]]
    written = [op["fields"]["notes"] for op in history["ops"] if "notes" in op.get("fields", {})]
    assert sorted(written) == sorted([first_notes, notes_a, notes_b])
    assert {op["author_name"] for op in history["ops"]} == {"王芳", "赵强"}
