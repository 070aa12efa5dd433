from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.routes.pwa import precache_manifest
from server.settings import Settings


def make_pwa(root: Path) -> Path:
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text(
        '<!doctype html><title>联户</title><link rel="manifest" href="/manifest.webmanifest">'
        '<script type="module" src="/js/app.js"></script>',
        encoding="utf-8",
    )
    (root / "js" / "app.js").write_text("export const x = 1;\n")
    (root / "manifest.webmanifest").write_text('{"name": "联户"}', encoding="utf-8")
    (root / "icons").mkdir()
    (root / "icons" / "make_icons.py").write_text("# a source file, not part of the app\n")
    (root / "README.md").write_text("# notes, not part of the app\n")
    (root / "js" / "package.json").write_text('{"type": "module"}\n')
    (root / ".env").write_text("SECRET=1\n")
    (root / "sw.js").write_text('const MANIFEST = "__PRECACHE_MANIFEST__";\n')
    return root


@pytest.fixture
async def pwa_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", pwa_dir=make_pwa(tmp_path / "pwa")
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


async def test_the_app_shell_is_served_at_the_root(pwa_client: httpx.AsyncClient) -> None:
    index = await pwa_client.get("/")
    script = await pwa_client.get("/js/app.js")
    manifest = await pwa_client.get("/manifest.webmanifest")

    assert index.status_code == 200 and "联户" in index.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert manifest.headers["content-type"].startswith("application/manifest+json")


async def test_the_service_worker_gets_its_precache_manifest_and_is_never_cached(
    pwa_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    response = await pwa_client.get("/sw.js")

    assert response.headers["cache-control"] == "no-cache"
    manifest = precache_manifest(tmp_path / "pwa")
    assert manifest["urls"] == ["/", "/record-types.json", "/js/app.js", "/manifest.webmanifest"]
    assert f'"version": "{manifest["version"]}"' in response.text
    assert "__PRECACHE_MANIFEST__" not in response.text


def test_any_change_to_a_file_of_the_shell_changes_the_cache_version(tmp_path: Path) -> None:
    pwa = make_pwa(tmp_path / "pwa")
    before = precache_manifest(pwa)["version"]

    (pwa / "js" / "app.js").write_text("export const x = 2;\n")

    assert precache_manifest(pwa)["version"] != before


async def test_every_response_carries_a_strict_content_security_policy(pwa_client: httpx.AsyncClient) -> None:
    for path in ("/", "/sw.js", "/api/nothing"):
        headers = (await pwa_client.get(path)).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_the_real_app_shell_has_no_inline_script() -> None:
    from server.settings import PROJECT_ROOT

    html = (PROJECT_ROOT / "pwa" / "index.html").read_text(encoding="utf-8")
    scripts = html.split("<script")[1:]
    assert scripts and all(" src=" in tag.split(">")[0] for tag in scripts)


@pytest.mark.parametrize(
    "path",
    ["/icons/make_icons.py", "/README.md", "/js/package.json", "/.env", "/js/", "/icons", "/js/../README.md"],
    ids=["python-source", "notes", "node-package", "dotfile", "folder", "folder-no-slash", "dot-dot"],
)
async def test_only_the_apps_own_files_are_served(pwa_client: httpx.AsyncClient, path: str) -> None:
    response = await pwa_client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_what_is_not_served_is_not_precached_either(tmp_path: Path) -> None:
    urls = precache_manifest(make_pwa(tmp_path / "pwa"))["urls"]

    assert isinstance(urls, list)
    assert not [url for url in urls if url.endswith((".py", ".md", ".json")) and url != "/record-types.json"]
