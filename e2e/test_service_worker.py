"""The service worker precaches the app shell under its version, and never answers for /api/."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from conftest import NewPhone, Server
from phone import wait_for_service_worker
from playwright.sync_api import expect

JS = Path(__file__).resolve().parent.parent / "pwa" / "js"


def lazy_modules() -> list[str]:
    """Every module the app loads with ``import('…')`` (issue 8): the member screens of screens.js, the
    session, the logout dialog — as the URLs the page asks for."""
    found: set[str] = set()
    for source in JS.rglob("*.js"):
        # Block comments out first: JSDoc names modules in import('…') types, which load nothing.
        code = re.sub(r"/\*.*?\*/", "", source.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"""\bimport\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\)""", code):
            url = PurePosixPath("/js") / source.parent.relative_to(JS) / target
            parts: list[str] = []
            for part in url.parts:
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            found.add("/" + "/".join(parts[1:]))
    return sorted(found)


def test_the_app_shell_is_precached_and_the_api_is_never_cached(server: Server, new_phone: NewPhone) -> None:
    page = new_phone("sw")
    page.goto(server.url + "/")
    wait_for_service_worker(page)
    caches = page.evaluate(
        """async () => {
          const names = await caches.keys();
          const paths = [];
          for (const name of names) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
          }
          return {names, paths};
        }"""
    )
    assert len(caches["names"]) == 1 and caches["names"][0].startswith("lianhu-static-")
    assert caches["names"][0] != "lianhu-static-dev", "the server filled in the precache manifest"
    for path in [
        "/",
        "/js/app.js",
        "/js/db.js",
        "/js/sync/merge.js",
        "/css/app.css",
        "/manifest.webmanifest",
        "/icons/icon-192.png",
        "/js/i18n/en.js",
        "/js/register-sw.js",
        "/record-types.json",
    ]:
        assert path in caches["paths"], path
    screens = lazy_modules()
    assert "/js/ui/today-screen.js" in screens and "/js/session.js" in screens, screens
    missing = [url for url in screens if url not in caches["paths"]]
    assert not missing, f"loaded on demand but not precached: {missing}"
    assert "/css/records.css" in caches["paths"], "the member screens' stylesheet, added by screens.js"
    assert not any(path.startswith("/api/") for path in caches["paths"])
    # Only what the shell uses (issue 8): the launcher's install icons are fetched by the browser itself.
    for unused in ["/icons/icon-512.png", "/icons/maskable-512.png", "/icons/maskable-192.png"]:
        assert unused not in caches["paths"], unused

    page.context.set_offline(True)
    api = page.evaluate("() => fetch('/api/me').then(r => 'answered ' + r.status, e => 'failed: ' + e.name)")
    assert api == "failed: TypeError", "offline, /api/ fails instead of being answered from a cache"
    page.reload()
    expect(page.locator('[data-testid="enroll-screen"]')).to_be_visible()
    # Offline, each of them loads through the worker, with every module it imports in turn.
    loaded = page.evaluate(
        "async (urls) => Promise.all(urls.map((url) => import(url).then(() => 'ok', (e) => `${url}: ${e}`)))",
        screens,
    )
    assert loaded == ["ok"] * len(screens)
