"""App shell, first load (issue 8): the bytes a fresh Chromium profile downloads to open the app the first
time — first what it needs to draw its start screen, then the whole visit until its service worker controls
the page and the network is quiet (the rest of the app fetched for offline use, the worker's install).

    python -m bench shell_bytes

Counted in one run:

- **the app shell** (the goal's figure): the page's own responses, less those it requested after its start
  screen (登记, for a fresh profile) was drawn — ``index.html``, the stylesheet, the modules of the start
  screens and the app frame, the icon the browser fetched for the tab — headers and bodies as on the wire
  (CDP ``Network.loadingFinished`` ``encodedDataLength``; header bytes from ``Network.responseReceived``;
  decoded bytes from ``Network.dataReceived``). The moment of the draw is taken in the page (a
  ``MutationObserver`` that notes ``performance.now()`` when the screen is attached) and compared with each
  resource's Resource Timing ``startTime``, on the same clock: the member screens fetched after the first
  paint are not the shell, whatever the order their responses finish in.
- **the whole first visit, on the wire**: every byte ``lianhu serve`` sends to the browser until the network
  is quiet, counted by a relay between them (``lib/relay.py``; HTTP/1.1 as uvicorn speaks it, headers and
  bodies as sent). It includes the member screens the page fetches after its first paint and the service
  worker's own fetches, which CDP on the page does not see: what an offline-first app costs on its first
  visit. Before issue 8's lazy screens this was the only figure (and the goal's).
- the page's share of that visit (CDP), split into headers and bodies and by kind, and how much compression
  saved on it (the same responses decoded).

Then a second visit (reload while online): what opening the app again costs once it is installed. No
throttling: bytes do not depend on it (Lighthouse times a throttled load, ``bench/lighthouse.py``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Page

from .lib import browser as b
from .lib.config import ROOT, Run
from .lib.relay import relay
from .lib.report import Row, fmt_bytes
from .lib.servers import free_port, lianhu_env, lianhu_servers

NAME = "shell_bytes"
GOAL = 100 * 1024
QUIET_S = 2.0
START_SCREEN = '[data-testid="enroll-screen"]'


class PageNetwork:
    """The page's responses through CDP: URL, header bytes, wire bytes, decoded body bytes."""

    def __init__(self, page: Page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.url: dict[str, str] = {}
        self.headers: dict[str, int] = {}
        self.decoded: dict[str, int] = defaultdict(int)
        self.wire: dict[str, int] = {}
        self.cdp.on(
            "Network.requestWillBeSent", lambda e: self.url.__setitem__(e["requestId"], e["request"]["url"])
        )
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.on(
            "Network.loadingFinished", lambda e: self.wire.__setitem__(e["requestId"], e["encodedDataLength"])
        )

    def _response(self, event: dict[str, Any]) -> None:
        # What had arrived when the head was parsed: the status line and headers.
        self.headers[event["requestId"]] = int(event["response"].get("encodedDataLength", 0))

    def _data(self, event: dict[str, Any]) -> None:
        self.decoded[event["requestId"]] += int(event["dataLength"])

    def summary(self, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Totals over the finished responses, less those whose URL is in ``leave_out``."""
        kept = {req: size for req, size in self.wire.items() if self.url.get(req) not in leave_out}
        kinds: dict[str, int] = defaultdict(int)
        for request, size in kept.items():
            suffix = PurePosixPath(urlparse(self.url.get(request, "")).path).suffix or ".html"
            kinds[suffix] += size
        headers = sum(self.headers.get(request, 0) for request in kept)
        wire = sum(kept.values())
        return {
            "paths": sorted(urlparse(self.url.get(request, "")).path for request in kept),
            "responses": len(kept),
            "wire": wire,
            "headers": headers,
            "bodies": wire - headers,
            "decoded": sum(self.decoded[request] for request in kept),
            "by_kind": dict(sorted(kinds.items())),
        }


# Notes when the start screen is attached, on the clock of Resource Timing's startTime.
MARK_DRAWN = f"""
new MutationObserver((_, observer) => {{
  if (!document.querySelector({START_SCREEN!r})) return;
  window.__lianhuStartDrawn = performance.now();
  observer.disconnect();
}}).observe(document, {{ childList: true, subtree: true }});
"""
REQUESTED_AFTER_DRAW = """() => {
  const drawn = window.__lianhuStartDrawn;
  const after = performance.getEntriesByType('resource').filter((e) => e.startTime > drawn);
  return {drawn, after: after.map((e) => e.name)};
}"""


def wait_quiet(page: Page, count: Any, quiet_s: float = QUIET_S, timeout: float = 120) -> None:
    """Until the relay has carried nothing new for ``quiet_s`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
    raise RuntimeError("the network did not go quiet")


def run(run: Run) -> list[Row]:
    database = run.path(NAME, "empty.sqlite3")
    url = f"sqlite+aiosqlite:///{database}"
    subprocess.run(
        [sys.executable, "-m", "server.cli", "db", "upgrade"], env=lianhu_env(url, 0), cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    port = free_port()
    with (
        lianhu_servers(url, run.path("logs"), LIANHU_ORIGIN=f"http://localhost:{port}") as (server,),
        relay(port, int(urlparse(server.url).port or 0)) as wire,
        b.chromium() as browser,
        b.phone(browser) as (_, page),
    ):
        print("  a fresh profile opens the app …", flush=True)
        network = PageNetwork(page)
        page.add_init_script(MARK_DRAWN)
        page.goto(f"http://localhost:{port}/")
        page.locator(START_SCREEN).wait_for()
        b.wait_service_worker(page)
        wait_quiet(page, wire.sent)
        drawn = page.evaluate(REQUESTED_AFTER_DRAW)
        shell = {"drawn_ms": drawn["drawn"], "page": network.summary(frozenset(drawn["after"]))}
        first = {"wire": wire.sent(), "connections": wire.connections, "page": network.summary()}
        before = wire.sent()
        page.reload()
        page.locator(START_SCREEN).wait_for()
        wait_quiet(page, wire.sent)
        second = wire.sent() - before
    start, page_share = shell["page"], first["page"]
    print(f"  the shell, to the start screen (CDP): {dict(start, paths=len(start['paths']))}", flush=True)
    print(f"  whole visit, page (CDP): {dict(page_share, paths=len(page_share['paths']))}", flush=True)
    total = first["wire"]
    return [
        Row(
            NAME,
            "app shell: the page's responses until its start screen is drawn (fresh profile, on the wire)",
            fmt_bytes(start["wire"]),
            peer=f"decoded {fmt_bytes(start['decoded'])}",
            ratio=f"{start['wire'] / max(1, start['decoded']):.2f} (wire / decoded)",
            goal="≤ 100 KB",
            met=start["wire"] <= GOAL,
            numbers={"shell": shell, "first_load": first, "second_visit_wire": second},
        ),
        Row(
            NAME,
            "… of which headers / bodies",
            f"{fmt_bytes(start['headers'])} / {fmt_bytes(start['bodies'])}",
            peer=f"{start['responses']} responses",
            goal="(shown)",
        ),
        Row(
            NAME,
            "whole first visit, until quiet: bytes on the wire (page, screens fetched after the first "
            "paint, service worker install)",
            fmt_bytes(total),
            peer=f"page's responses decoded {fmt_bytes(page_share['decoded'])}",
            ratio=f"{page_share['wire'] / max(1, page_share['decoded']):.2f} (page wire / decoded)",
            goal="(shown)",
        ),
        Row(
            NAME,
            "… of which the page's own responses (CDP): headers / bodies",
            f"{fmt_bytes(page_share['headers'])} / {fmt_bytes(page_share['bodies'])}",
            peer=f"{page_share['responses']} responses",
            goal="(shown)",
        ),
        Row(
            NAME,
            "app shell, second visit (reload, installed): bytes on the wire",
            fmt_bytes(second),
            goal="(shown)",
        ),
    ]
