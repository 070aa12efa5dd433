"""Steps the console tests share, on top of ``phone.py``: an office browser (desktop size, no passkey),
screenshots of a console page at office and at phone size, and a community coordinator who enrolls that
browser in the app and opens the console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conftest import NO_WEBAUTHN, PageLog, Server
from phone import SCREENSHOTS, enroll
from playwright.sync_api import Browser, Page, ViewportSize

DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=360, height=740)


@contextmanager
def office_browser(browser: Browser) -> Iterator[Page]:
    """A desktop browser in a community office (no passkey: the app falls back to a device key). Closed
    on the way out; an uncaught error in its page then fails the test."""
    context = browser.new_context(
        viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    context.add_init_script(NO_WEBAUTHN)
    page = context.new_page()
    log = PageLog()
    page.on("console", lambda message: log.lines.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    yield page
    context.close()
    assert not log.errors, f"uncaught errors in the console page: {log.errors}\n{log.lines}"


def both_sizes(page: Page, name: str) -> None:
    """Whole-page screenshots as the page is now, at office size and at phone size
    (.tmp/screenshots/console-NAME-1280.png and -360.png)."""
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}-360.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def community_and_grid(server: Server) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first community of the demo data and a grid of it (rows of ``lianhu area list``)."""
    areas = server.cli_json("area", "list")
    community = next(area for area in areas if area["level"] == "community")
    grid = next(area for area in areas if area["level"] == "grid" and area["parent"] == community["id"])
    return community, grid


def add_coordinator(server: Server, community: int, name: str = "刘书记") -> dict[str, Any]:
    """A community coordinator (role ``community``) of ``community``."""
    coordinator: dict[str, Any] = server.cli_json(
        "member", "add", "--name", name, "--role", "community", "--area", str(community)
    )
    return coordinator


def open_console(desk: Page, server: Server, member: dict[str, Any], path: str = "/console/") -> None:
    """``member`` enrolls this office browser in the app (device key and PIN), then it opens ``path``."""
    enroll(desk, server.url, server.code_for(member["id"]))
    desk.goto(f"{server.url}{path}")
