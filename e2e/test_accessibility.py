"""Readable and hittable for members over 60 (issue 6 §7): on every main screen at 360×740, every visible
text is at least 16 px with contrast of at least 4.5:1 against what is behind it, and every tap target is
at least 48 × 48 px (e2e/today_steps.py MEASURE says how). The screens carry real data: an overdue curtain
round (the deadline is 00:00 here), overdue households, a visit, a correction waiting to sync."""

from __future__ import annotations

import pytest
from conftest import NewPhone, Server
from phone import PIN, by_testid, screenshot, set_pin, unlock
from playwright.sync_api import Page, expect
from today_steps import accessibility_problems, colleague, open_household, shanghai_today


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"LIANHU_CURTAIN_DEADLINE": "00:00"}


def measured(page: Page, screen: str, shot: str) -> list[str]:
    expect(page.locator(by_testid(screen))).to_be_visible()
    expect(page.locator(by_testid("toast"))).to_have_count(
        0, timeout=10_000
    )  # toasts pass too; wait them out
    screenshot(page, shot)
    problems, texts, targets = accessibility_problems(page)
    assert texts >= 5 and targets >= 2, (screen, texts, targets)  # the measure saw the screen
    return [f"{screen}: {problem}" for problem in problems]


def test_every_main_screen_has_16px_text_48px_targets_and_4_5_contrast(
    server: Server, new_phone: NewPhone
) -> None:
    grid = server.cli_json("grid", "list")[0]["id"]
    household = server.query(
        "SELECT id FROM households WHERE grid_id = ? AND curtain_round = 1 ORDER BY address LIMIT 1", (grid,)
    )[0]["id"]
    colleague(server, "褚红", grid).visit(server, household, shanghai_today())
    member = server.add_member("蒋华", grid)
    page = new_phone("jiang-hua")
    problems: list[str] = []

    page.goto(f"{server.url}/#enroll={server.code_for(member['id'])}")
    expect(page.locator(by_testid("enroll-member"))).to_be_visible()
    problems += measured(page, "enroll-screen", "70-a11y-enroll")
    page.locator(by_testid("enroll-own")).check()
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("pin-setup-screen"))).to_be_visible(timeout=30_000)
    problems += measured(page, "pin-setup-screen", "71-a11y-pin-setup")
    set_pin(page)
    expect(page.locator(by_testid("app-header"))).not_to_have_attribute("data-sync-rounds", "0")
    expect(page.locator(by_testid("today-curtain")).first).to_be_visible()
    problems += measured(page, "today-screen", "72-a11y-today")

    page.locator(by_testid("tab-households")).click()
    problems += measured(page, "households-screen", "73-a11y-households")
    open_household(page, household)
    problems += measured(page, "household-screen", "74-a11y-household")
    page.locator(by_testid("household-edit")).click()
    problems += measured(page, "household-edit-screen", "75-a11y-household-edit")
    page.locator(by_testid("he-phone")).fill("13700000000")
    page.context.set_offline(True)  # the correction waits: the page shows its pending notice
    page.locator(by_testid("he-save")).click()
    expect(page.locator(by_testid("household-pending"))).to_be_visible()
    problems += measured(page, "household-screen", "76-a11y-household-pending")

    page.locator(by_testid("tab-visits")).click()
    problems += measured(page, "visits-screen", "77-a11y-records")
    page.locator(by_testid("tab-me")).click()
    problems += measured(page, "me-screen", "78-a11y-me")

    page.locator(by_testid("current-member")).click()
    problems += measured(page, "members-screen", "79-a11y-members")
    page.locator(by_testid("member-item")).click()
    problems += measured(page, "unlock-screen", "79b-a11y-unlock")
    unlock(page, PIN)

    assert problems == [], "\n".join(problems)
