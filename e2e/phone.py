"""What a member does with the app, as steps the tests share. Everything goes through the UI and its
``data-testid`` attributes; the only peeks behind it are the service worker state, the header's
``data-sync-answered`` counter (to know that the sync round the test asked for has finished), and
``api_call`` (a fetch from the page, with its cookie and CSRF token, as an attacker's script would)."""

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


PIN = "258036"


def enroll(
    page: Page,
    base_url: str,
    code: str,
    *,
    pin: str = PIN,
    shot: str | None = None,
    navigate: bool = True,
    shared: bool = False,
) -> None:
    """Open the enrollment link a coordinator would send, say whose device this is (never preset), tap
    登记, and set the PIN twice. The app opens on 今日; wait for the first sync round (it brings the
    households)."""
    if navigate:
        page.goto(f"{base_url}/#enroll={code}")
    expect(page.locator(by_testid("enroll-code"))).to_have_value(code)
    page.locator(by_testid("enroll-shared" if shared else "enroll-own")).check()
    if shot:
        expect(page.locator(by_testid("enroll-member"))).to_be_visible()
        screenshot(page, shot)
    page.locator(by_testid("enroll-submit")).click()
    set_pin(page, pin)
    expect(page.locator(by_testid("today-screen"))).to_be_visible()
    expect(page.locator(by_testid("app-header"))).not_to_have_attribute("data-sync-rounds", "0")


def set_pin(page: Page, pin: str = PIN, *, shot: str | None = None) -> None:
    expect(page.locator(by_testid("pin-setup-screen"))).to_be_visible(timeout=30_000)
    page.locator(by_testid("pin-new")).fill(pin)
    page.locator(by_testid("pin-confirm")).fill(pin)
    if shot:
        screenshot(page, shot)
    page.locator(by_testid("pin-submit")).click()
    expect(page.locator(by_testid("pin-setup-screen"))).to_have_count(0, timeout=30_000)


def unlock(page: Page, pin: str = PIN) -> None:
    """On the PIN screen of a member, enter the PIN (derivation takes a moment)."""
    page.locator(by_testid("unlock-pin")).fill(pin)
    page.locator(by_testid("unlock-submit")).click()
    expect(page.locator(by_testid("unlock-screen"))).to_have_count(0, timeout=30_000)


def wrong_pin(page: Page, pin: str, expected: str) -> None:
    page.locator(by_testid("unlock-pin")).fill(pin)
    page.locator(by_testid("unlock-submit")).click()
    expect(
        page.locator(by_testid("unlock-error")).or_(page.locator(by_testid("locked-screen")))
    ).to_contain_text(expected, timeout=30_000)


def logout(page: Page, *, confirm_unsynced: int | None = None, shot: str | None = None) -> None:
    """我的 → 退出登录; with unsynced records the dialog must say how many, and is confirmed."""
    page.locator(by_testid("tab-me")).click()
    page.locator(by_testid("logout")).click()
    if confirm_unsynced is not None:
        dialog = page.locator(by_testid("logout-dialog"))
        expect(dialog.locator(by_testid("logout-dialog-message"))).to_contain_text(
            f"还有 {confirm_unsynced} 条记录"
        )
        if shot:
            screenshot(page, shot)
        dialog.locator(by_testid("logout-dialog-confirm")).click()
    expect(
        page.locator(by_testid("unlock-screen")).or_(page.locator(by_testid("members-screen")))
    ).to_be_visible()


def api_call(page: Page, method: str, path: str, body: object = None) -> dict[str, object]:
    """fetch from the page: its cookie rides along; the CSRF token comes from GET /api/me."""
    result: dict[str, object] = page.evaluate(
        """async ([method, path, body]) => {
          const me = await fetch('/api/me').then((r) => r.json());
          const response = await fetch(path, {method, headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': me.csrf_token}, body: body === null ? undefined : JSON.stringify(body)});
          return {status: response.status, body: await response.json().catch(() => null)};
        }""",
        [method, path, body],
    )
    return result


def idb_dump(page: Page) -> dict[str, list[str]]:
    """Every value IndexedDB holds for the app, store by store, as text: strings as they are, binary
    (ArrayBuffers, typed arrays) decoded as UTF-8, so any plaintext inside shows."""
    dump: dict[str, list[str]] = page.evaluate(
        """async () => {
          const db = await new Promise((ok, fail) => {
            const r = indexedDB.open('lianhu');
            r.onsuccess = () => ok(r.result);
            r.onerror = () => fail(r.error);
          });
          const utf8 = new TextDecoder('utf-8', {fatal: false});
          const text = (v) => {
            if (v instanceof ArrayBuffer) return utf8.decode(new Uint8Array(v));
            if (ArrayBuffer.isView(v)) {
              return utf8.decode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
            }
            if (v instanceof CryptoKey) return '[CryptoKey]';
            if (Array.isArray(v)) return v.map(text).join(' ');
            if (v && typeof v === 'object') {
              return Object.entries(v).map(([k, x]) => k + '=' + text(x)).join(' ');
            }
            return String(v);
          };
          const all = (store, verb) => new Promise((ok) => {
            const r = store[verb]();
            r.onsuccess = () => ok(r.result);
          });
          const out = {};
          for (const name of db.objectStoreNames) {
            const store = db.transaction(name, 'readonly').objectStore(name);
            const [keys, values] = await Promise.all([all(store, 'getAllKeys'), all(store, 'getAll')]);
            out[name] = values.map((v, i) => text(keys[i]) + ' ' + text(v));
          }
          db.close();
          return out;
        }"""
    )
    return dump


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
    """From my households, tap the household's 记走访 and fill in the visit form (the date defaults to
    today)."""
    page.locator(by_testid("tab-households")).click()
    page.locator(
        f'{by_testid("household-item")}[data-id="{household_id}"] {by_testid("household-visit")}'
    ).click()
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
