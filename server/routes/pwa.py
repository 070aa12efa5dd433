"""Serving the member app in ``pwa/`` at the site root, with a service worker that knows its own version.

``/sw.js`` is served with the string literal ``"__PRECACHE_MANIFEST__"`` replaced by
``{"version": <hash of every app file>, "urls": [...]}``: any change to any file of the app changes the
version, so the service worker installs a fresh cache and drops the old one. Nothing to bump by hand.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from server.domain.declaration import DECLARATION_PATH
from server.routes.common import settings_of

__all__ = ["app_files", "precache_manifest", "routes", "static_app"]

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")

PLACEHOLDER = '"__PRECACHE_MANIFEST__"'
DECLARATION_URL = "/record-types.json"
_NOT_SERVED_SUFFIXES = {".py", ".md", ".map"}


def app_files(pwa_dir: Path) -> list[Path]:
    """The files that make up the app, in a stable order (sources and notes excluded)."""
    return sorted(
        path
        for path in pwa_dir.rglob("*")
        if path.is_file()
        and path.name != "sw.js"
        and path.suffix not in _NOT_SERVED_SUFFIXES
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(pwa_dir).parts)
    )


def precache_manifest(pwa_dir: Path) -> dict[str, object]:
    files = app_files(pwa_dir)
    digest = hashlib.sha256()
    for path in [*files, pwa_dir / "sw.js"]:
        if path.exists():
            digest.update(path.relative_to(pwa_dir).as_posix().encode())
            digest.update(path.read_bytes())
    # The record-type declaration is part of the app too (its forms and checks): a change re-caches.
    digest.update(DECLARATION_URL.encode())
    digest.update(DECLARATION_PATH.read_bytes())
    urls = ["/", DECLARATION_URL] + ["/" + path.relative_to(pwa_dir).as_posix() for path in files]
    return {"version": digest.hexdigest()[:16], "urls": urls}


async def service_worker(request: Request) -> Response:
    pwa_dir = settings_of(request).pwa_dir
    source = (pwa_dir / "sw.js").read_text(encoding="utf-8")
    manifest = json.dumps(precache_manifest(pwa_dir), ensure_ascii=False)
    return Response(
        source.replace(PLACEHOLDER, manifest, 1),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


async def record_types(request: Request) -> Response:
    """The record-type declaration the server validates with (docs/sync-protocol.md §3.4)."""
    return Response(
        DECLARATION_PATH.read_bytes(), media_type="application/json", headers={"Cache-Control": "no-cache"}
    )


def static_app(pwa_dir: Path) -> StaticFiles:
    return StaticFiles(directory=pwa_dir, html=True, check_dir=False)


routes = [
    Route("/sw.js", service_worker, methods=["GET"]),
    Route(DECLARATION_URL, record_types, methods=["GET"]),
]
