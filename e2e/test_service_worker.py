"""The service worker precaches the app shell under its version, and never answers for /api/."""

from __future__ import annotations

from conftest import NewPhone, Server
from phone import wait_for_service_worker
from playwright.sync_api import expect


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
    assert not any(path.startswith("/api/") for path in caches["paths"])
    # Only what the shell uses (issue 8): the launcher's install icons are fetched by the browser itself.
    for unused in ["/icons/icon-512.png", "/icons/maskable-512.png", "/icons/maskable-192.png"]:
        assert unused not in caches["paths"], unused

    page.context.set_offline(True)
    api = page.evaluate("() => fetch('/api/me').then(r => 'answered ' + r.status, e => 'failed: ' + e.name)")
    assert api == "failed: TypeError", "offline, /api/ fails instead of being answered from a cache"
    page.reload()
    expect(page.locator('[data-testid="enroll-screen"]')).to_be_visible()
