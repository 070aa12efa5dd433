"""The member's phone in real Chromium (Debian's, flags from ENVIRONMENT.md), driven through the app's UI.

- ``phone(browser)``: a fresh phone-sized context (its own storage: a fresh profile) with no WebAuthn, so
  enrollment takes the device-key path at once, as on the e2e tests' phones (e2e/conftest.py).
- ``Link``: network throttling through the Chrome DevTools Protocol (``Network.emulateNetworkConditions``:
  bandwidth each way and added round-trip latency), and the bytes on the wire of every response the page
  received (``encodedDataLength``: headers and body as transferred, compressed if the server compressed).
- ``enroll`` / ``wait_synced``: the steps of e2e/phone.py, with timeouts for a big first sync.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, sync_playwright

__all__ = ["PIN", "Link", "chromium", "enroll", "phone", "wait_synced"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NO_WEBAUTHN = "delete window.PublicKeyCredential;"
PIN = "258036"


def testid(name: str) -> str:
    return f'[data-testid="{name}"]'


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


CONTEXT_OPTIONS: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "screen": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


@contextmanager
def phone(browser: Browser) -> Iterator[tuple[BrowserContext, Page]]:
    context = browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(60_000)
    context.add_init_script(NO_WEBAUTHN)
    try:
        yield context, context.new_page()
    finally:
        context.close()


@dataclass
class Link:
    """A throttled link for one page, counting what arrives over it."""

    page: Page
    cdp: CDPSession = field(init=False)
    urls: dict[str, str] = field(default_factory=dict)  # request id -> URL
    received: list[tuple[float, str, int]] = field(default_factory=list)  # (time, path, bytes)

    def __post_init__(self) -> None:
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict[str, Any]) -> None:
        url = self.urls.get(event["requestId"], "")
        self.received.append((time.monotonic(), urlparse(url).path, int(event["encodedDataLength"])))

    def throttle(self, *, mbit_s: float, rtt_ms: float) -> None:
        rate = mbit_s * 1_000_000 / 8  # bytes per second, each way
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": rtt_ms, "downloadThroughput": rate, "uploadThroughput": rate},
        )

    def bytes_since(self, since: float, prefix: str = "") -> int:
        return sum(size for at, path, size in self.received if at >= since and path.startswith(prefix))


def enroll(page: Page, base_url: str, code: str, *, shared: bool = False) -> float:
    """Open the enrollment link, say whose device it is (the app presets neither), tap 登记, set the PIN;
    returns when the PIN screen has gone."""
    page.goto(f"{base_url}/#enroll={code}")
    page.locator(testid("enroll-shared" if shared else "enroll-own")).check()
    page.locator(testid("enroll-submit")).click()
    page.locator(testid("pin-new")).fill(PIN)
    page.locator(testid("pin-confirm")).fill(PIN)
    page.locator(testid("pin-submit")).click()
    page.locator(testid("pin-setup-screen")).wait_for(state="detached", timeout=120_000)
    return time.monotonic()


def header_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        """() => {
          const header = document.querySelector('[data-testid=app-header]');
          const net = document.querySelector('[data-testid=net-status]');
          return {rounds: Number(header?.dataset.syncRounds ?? 0),
                  syncing: header?.dataset.syncing === 'true', net: net?.dataset.state ?? null};
        }"""
    )
    return state


def wait_synced(page: Page, *, rounds: int, timeout: float) -> float | None:
    """Until the header has finished ``rounds`` sync rounds and the last one succeeded; the time then, or
    None if it did not happen within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = header_state(page)
        if state["rounds"] >= rounds and not state["syncing"]:
            if state["net"] != "online":
                raise RuntimeError(f"the sync round failed: {state}")
            return time.monotonic()
        page.wait_for_timeout(100)
    return None


def wait_service_worker(page: Page, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("() => navigator.serviceWorker.controller?.state ?? null") == "activated":
            return
        page.wait_for_timeout(100)
    raise RuntimeError("the service worker did not take control of the page")


def idb_usage(page: Page) -> dict[str, int]:
    """What the browser counts for this origin: IndexedDB alone, and all of it (with the app's cache)."""
    usage: dict[str, int] = page.evaluate(
        """async () => {
          const e = await navigator.storage.estimate();
          return {indexedDB: e.usageDetails?.indexedDB ?? -1, total: e.usage};
        }"""
    )
    return usage


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def sync_now(page: Page, timeout: float = 300) -> None:
    """Tap 同步 and wait until the round that tap asked for is over (e2e/phone.py ``sync``)."""
    header = page.locator(testid("app-header"))
    asked = int(header.get_attribute("data-sync-asked") or "0")
    page.locator(testid("sync-button")).click()
    page.wait_for_function(
        "n => Number(document.querySelector('[data-testid=app-header]').dataset.syncAnswered) > n",
        arg=asked,
        timeout=timeout * 1000,
    )
    if header_state(page)["net"] != "online":
        raise RuntimeError(f"the sync round failed: {header_state(page)}")


def enrolled_phone(page: Page, base_url: str, code: str) -> None:
    """Enroll on a fast link and wait for the first sync to finish: a phone that is up to date."""
    enroll(page, base_url, code)
    if wait_synced(page, rounds=1, timeout=600) is None:
        raise RuntimeError("the first sync did not finish within 600 s")
    wait_service_worker(page)
