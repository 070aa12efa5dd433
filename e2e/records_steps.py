"""Steps the records tests share (curtain checks, requests, mediation), on top of ``phone.py``: members with
a role, what a coordinator would set up (linked households, a community's curtain deadline), the records
tab and its screens, and reading what the server stored."""

from __future__ import annotations

import secrets
import sqlite3
import time
import uuid
from contextlib import closing
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from conftest import Server
from phone import by_testid, sync
from playwright.sync_api import Locator, Page, expect

from server.domain.ids import derived_record_id
from sync import state_from_storage, state_to_json

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the phones' time zone (conftest.new_phone)


def shanghai_now() -> datetime:
    return datetime.now(SHANGHAI)


def add_member(server: Server, name: str, grid: int, role: str = "member") -> dict[str, Any]:
    member: dict[str, Any] = server.cli_json(
        "member", "add", "--name", name, "--role", role, "--grid", str(grid)
    )
    return member


def uuid7() -> str:
    rand = secrets.token_bytes(10)
    ms = int(time.time() * 1000).to_bytes(6, "big")
    return str(
        uuid.UUID(bytes=ms + bytes([0x70 | rand[0] & 0x0F, rand[1], 0x80 | rand[2] & 0x3F]) + rand[3:])
    )


def link_households(server: Server, leader_token: str, links: dict[str, list[int]]) -> None:
    """包联: a grid leader links households to members (``covered_by``, a leaders-only field), through the
    API as their console would."""
    status, me = server.api("GET", "/api/me", token=leader_token)
    assert status == 200, me
    ops = [
        {
            "id": uuid7(),
            "record": derived_record_id("household", [household]),
            "type": "household",
            "household": household,
            "clock": f"{int(time.time() * 1000):015d}-{n:05d}",
            "replica": me["device"]["id"],
            "kind": "set",
            "fields": {"covered_by": members},
        }
        for n, (household, members) in enumerate(links.items())
    ]
    status, pushed = server.api("POST", "/api/sync/push", token=leader_token, body={"ops": ops})
    assert status == 200 and {r["status"] for r in pushed["results"]} == {"accepted"}, pushed


def set_curtain_deadline(server: Server, grid: int, deadline: str) -> None:
    """A community's morning deadline for the curtain round (``areas.curtain_deadline`` of the grid's
    community), written where the coordinator's console will; ``/api/me`` reads it on every call."""
    with closing(sqlite3.connect(server.db_path, timeout=10)) as conn:
        (community,) = conn.execute("SELECT parent_id FROM areas WHERE id = ?", (grid,)).fetchone()
        conn.execute("UPDATE areas SET curtain_deadline = ? WHERE id = ?", (deadline, community))
        conn.commit()


def first_household(server: Server, grid: int) -> str:
    """The grid's first household in address order."""
    rows = server.query("SELECT id FROM households WHERE grid_id = ? ORDER BY address LIMIT 1", (grid,))
    return str(rows[0]["id"])


def round_households(server: Server, grid: int) -> list[str]:
    rows = server.query(
        "SELECT id FROM households WHERE grid_id = ? AND curtain_round ORDER BY address", (grid,)
    )
    return [str(row["id"]) for row in rows]


def open_records(page: Page, record_type: str | None = None) -> None:
    """The 记录 tab, filtered to one type when asked."""
    page.locator(by_testid("tab-visits")).click()
    expect(page.locator(by_testid("visits-screen"))).to_be_visible()
    page.locator(by_testid(f"records-filter-{record_type or 'all'}")).click()
    expect(page.locator(by_testid(f"records-filter-{record_type or 'all'}"))).to_have_attribute(
        "aria-current", "page"
    )


def open_curtain_round(page: Page) -> None:
    page.locator(by_testid("tab-visits")).click()
    page.locator(by_testid("curtain-link")).click()
    expect(page.locator(by_testid("curtain-screen"))).to_be_visible()


def curtain_item(page: Page, household: str) -> Locator:
    return page.locator(f'{by_testid("curtain-item")}[data-household="{household}"]')


def open_curtain_check(page: Page, household: str) -> None:
    """From today's round, 未见到 · 处置 on one household."""
    open_curtain_round(page)
    curtain_item(page, household).locator(by_testid("curtain-escalate")).click()
    expect(page.locator(by_testid("curtain-check-screen"))).to_be_visible()


def add_escalation_step(page: Page, step: str, result: str, notes: str = "") -> None:
    """On a check's screen: one rung of the escalation, at the time the form proposes (now)."""
    log = page.locator(by_testid("escalation-log-entry"))
    before = log.count()
    form = page.locator(by_testid("escalation-form"))
    form.locator(by_testid(f"escalation-step-{step}")).check()
    form.locator(by_testid(f"escalation-result-{result}")).check()
    if notes:
        form.locator(by_testid("escalation-notes")).fill(notes)
    form.locator(by_testid("escalation-save")).click()
    expect(log).to_have_count(before + 1)


def record_card(page: Page, record_id: str) -> Locator:
    return page.locator(f'{by_testid("record-item")}[data-id="{record_id}"]')


def synced_twice(*pages: Page) -> None:
    """Every phone pushes, then every phone pulls what the others pushed."""
    for page in pages:
        sync(page)
    for page in pages:
        sync(page)


def server_record(server: Server, record_id: str) -> dict[str, Any]:
    (row,) = server.query("SELECT state FROM records WHERE id = ?", (record_id,))
    state: dict[str, Any] = state_to_json(state_from_storage(row["state"]))
    return state


def fields_of(state: dict[str, Any]) -> dict[str, Any]:
    return {name: register["value"] for name, register in state["fields"].items()}


def log_of(state: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A log's entries as the server merged them: value and author, in log order."""
    return [{"value": entry["value"], "author": entry["author"]} for entry in state["logs"].get(name, [])]
