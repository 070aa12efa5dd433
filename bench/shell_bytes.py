"""App shell, first load (issue 8): the bytes a fresh Chromium profile downloads to open the app the first
time, until its service worker controls the page and the network is quiet — the page, its module graph,
the manifest and icons the browser fetches, and the service worker's install.

    python -m bench shell_bytes

Counted twice in one run:

- **on the wire**: every byte ``lianhu serve`` sends to the browser, counted by a relay between them
  (``lib/relay.py``; HTTP/1.1 as uvicorn speaks it, headers and bodies as sent). This is the goal's figure:
  it includes the worker's own fetches, which CDP on the page does not see.
- **CDP** on the page (``Network.loadingFinished`` ``encodedDataLength``; header bytes from
  ``Network.responseReceived``; decoded bytes from ``Network.dataReceived``): the page's share, split into
  headers and bodies and by kind, and how much compression saved on it (the same responses decoded: the
  peer figure of the first row).

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

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = defaultdict(int)
        for request, size in self.wire.items():
            suffix = PurePosixPath(urlparse(self.url.get(request, "")).path).suffix or ".html"
            kinds[suffix] += size
        headers = sum(self.headers.get(request, 0) for request in self.wire)
        wire = sum(self.wire.values())
        return {
            "responses": len(self.wire),
            "wire": wire,
            "headers": headers,
            "bodies": wire - headers,
            "decoded": sum(self.decoded[request] for request in self.wire),
            "by_kind": dict(sorted(kinds.items())),
        }


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
        page.goto(f"http://localhost:{port}/")
        b.wait_service_worker(page)
        wait_quiet(page, wire.sent)
        first = {"wire": wire.sent(), "connections": wire.connections, "page": network.summary()}
        before = wire.sent()
        page.reload()
        page.locator('[data-testid="enroll-screen"]').wait_for()
        wait_quiet(page, wire.sent)
        second = wire.sent() - before
    page_share = first["page"]
    print(f"  page (CDP): {page_share}", flush=True)
    total = first["wire"]
    return [
        Row(
            NAME,
            "app shell, first load in a fresh profile: bytes on the wire (page + service worker install)",
            fmt_bytes(total),
            peer=f"page's responses decoded {fmt_bytes(page_share['decoded'])}",
            ratio=f"{page_share['wire'] / max(1, page_share['decoded']):.2f} (page wire / decoded)",
            goal="≤ 100 KB",
            met=total <= GOAL,
            numbers={"first_load": first, "second_visit_wire": second},
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
