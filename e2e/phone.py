"""What a member does with the app, as steps the tests share. Everything goes through the UI and its
``data-testid`` attributes; the only peeks behind it are the service worker state and the header's
``data-sync-answered`` counter (to know that the sync round the test asked for has finished)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / ".tmp" / "screenshots"


def by_testid(name: str) -> str:
    return f'[data-testid="{name}"]'


def screenshot(page: Page, name: str) -> Path:
    """A phone-size picture of what the member sees now, for a person to look at."""
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def enroll(page: Page, base_url: str, code: str, *, shot: str | None = None) -> None:
    """Open the enrollment link a coordinator would send, and tap 登记."""
    page.goto(f"{base_url}/#enroll={code}")
    expect(page.locator(by_testid("enroll-code"))).to_have_value(code)
    if shot:
        screenshot(page, shot)
    page.locator(by_testid("enroll-submit")).click()
    expect(page.locator(by_testid("households-screen"))).to_be_visible()
    expect(page.locator(by_testid("household-item")).first).to_be_visible()


def wait_for_service_worker(page: Page, timeout: float = 20) -> None:
    """Until the service worker controls the page and has finished precaching (it is active then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => navigator.serviceWorker.controller ? navigator.serviceWorker.controller.state : null"
        )
        if state == "activated":
            return
        page.wait_for_timeout(200)
    raise AssertionError("the service worker did not take control of the page")


def sync(page: Page) -> None:
    """Tap 同步 and wait until the round that tap asked for is over and the screen has redrawn. A round
    already running when the tap lands does not count: the tap queues one that starts after it."""
    header = page.locator(by_testid("app-header"))
    asked = int(header.get_attribute("data-sync-asked") or "0")
    page.locator(by_testid("sync-button")).click()
    page.wait_for_function(
        "n => Number(document.querySelector('[data-testid=app-header]').dataset.syncAnswered) > n",
        arg=asked,
    )


def expect_unsynced(page: Page, count: int) -> None:
    expect(page.locator(by_testid("unsynced-count"))).to_have_attribute("data-count", str(count))


@dataclass
class Visit:
    notes: str
    items: tuple[str, ...] = ()
    request: str = ""


def record_visit(page: Page, household_id: str, visit: Visit, *, shot: str | None = None) -> None:
    """From my households, tap the household and fill in the visit form (the date defaults to today)."""
    page.locator(by_testid("tab-households")).click()
    page.locator(f'{by_testid("household-item")}[data-id="{household_id}"]').click()
    expect(page.locator(by_testid("visit-household"))).to_have_value(household_id)
    for item in visit.items:
        page.locator(by_testid(f"visit-item-{item}")).check()
    page.locator(by_testid("visit-notes")).fill(visit.notes)
    page.locator(by_testid("visit-request")).fill(visit.request)
    if shot:
        screenshot(page, shot)
    page.locator(by_testid("visit-save")).click()
    expect(page.locator(by_testid("visits-screen"))).to_be_visible()


def visit_card(page: Page, record_id: str) -> Locator:
    return page.locator(f'{by_testid("visit-item")}[data-id="{record_id}"]')


def edit_notes(page: Page, record_id: str, notes: str, *, shot: str | None = None) -> None:
    """Open the visit from the recent list and change its notes."""
    page.locator(by_testid("tab-visits")).click()
    visit_card(page, record_id).locator(by_testid("visit-open")).click()
    expect(page.locator(by_testid("visit-edit-screen"))).to_be_visible()
    page.locator(by_testid("visit-notes")).fill(notes)
    if shot:
        screenshot(page, shot)
    page.locator(by_testid("visit-save")).click()
    expect(page.locator(by_testid("visits-screen"))).to_be_visible()


def household_ids(page: Page) -> list[str]:
    page.locator(by_testid("tab-households")).click()
    expect(page.locator(by_testid("household-item")).first).to_be_visible()
    return [
        str(i)
        for i in page.locator(by_testid("household-item")).evaluate_all("els => els.map(e => e.dataset.id)")
    ]


def visit_ids(page: Page) -> list[str]:
    return [
        str(i)
        for i in page.locator(by_testid("visit-item")).evaluate_all("els => els.map(e => e.dataset.id)")
    ]


def device_id(page: Page) -> str:
    page.locator(by_testid("tab-me")).click()
    text = page.locator(by_testid("me-device")).inner_text().strip()
    assert re.fullmatch(r"[0-9a-z]{1,32}", text), text
    return text
