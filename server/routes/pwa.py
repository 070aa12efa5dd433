"""Serving the member app in ``pwa/`` at the site root, with a service worker that knows its own version.

``/sw.js`` is served with the string literal ``"__PRECACHE_MANIFEST__"`` replaced by
``{"version": <hash of every app file>, "urls": [...]}``: any change to any file of the app changes the
version, so the service worker installs a fresh cache and drops the old one. Nothing to bump by hand.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from server.domain.declaration import DECLARATION_PATH
from server.routes.common import settings_of

__all__ = ["app_files", "is_app_file", "precache_manifest", "routes", "static_app"]

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")

PLACEHOLDER = '"__PRECACHE_MANIFEST__"'
DECLARATION_URL = "/record-types.json"
# What the app is made of. Anything else in the folder (the icon generator's *.py, notes *.md, Node's
# package.json, editor droppings) is not the app and is not served: an allowlist, not a denylist, so a
# new kind of file stays private until someone decides otherwise (issue 9, hole 8).
APP_SUFFIXES = frozenset({".html", ".js", ".css", ".png", ".svg", ".ico", ".webp", ".webmanifest", ".woff2"})


def is_app_file(relative: PurePosixPath) -> bool:
    """Whether a path inside the app folder names one of the app's files (by its name alone)."""
    return relative.suffix in APP_SUFFIXES and not any(
        part.startswith(".") or part in ("", "..", "__pycache__") for part in relative.parts
    )


def app_files(pwa_dir: Path) -> list[Path]:
    """The files that make up the app, in a stable order (the service worker itself excepted)."""
    return sorted(
        path
        for path in pwa_dir.rglob("*")
        if path.is_file()
        and path.name != "sw.js"
        and is_app_file(PurePosixPath(path.relative_to(pwa_dir).as_posix()))
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


class AppFiles(StaticFiles):
    """``StaticFiles`` that answers 404 for whatever is not one of the app's files (``is_app_file``)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        relative = PurePosixPath(path)
        if path not in ("", ".") and not is_app_file(relative):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def static_app(pwa_dir: Path) -> StaticFiles:
    return AppFiles(directory=pwa_dir, html=True, check_dir=False)


routes = [
    Route("/sw.js", service_worker, methods=["GET"]),
    Route(DECLARATION_URL, record_types, methods=["GET"]),
]
