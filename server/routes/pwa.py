"""Serving the member app in ``pwa/`` at the site root, with a service worker that knows its own files.

- Every file is sent compressed (brotli, else gzip) from ``server/precompressed.py``: made once per content,
  never stale, with ``Cache-Control: no-cache`` and an ``ETag`` naming the content, so a browser revalidates
  with a ``304`` instead of downloading again.
- ``/sw.js`` is served with the string literal ``"__PRECACHE_MANIFEST__"`` replaced by ``{"version": <hash>,
  "urls": [...], "integrity": {url: "sha256-…"}}``: the app shell (``shell_files``: what ``index.html``
  loads, followed through imports, stylesheets and the app files the code names), nothing else. Any change
  to one of those files changes the version, so the worker installs a fresh cache; the integrity lets it
  take a file the page has just downloaded from the HTTP cache, and only if it is exactly that content.
- ``index.html`` gets a ``<link rel="modulepreload">`` where it says ``<!-- modulepreload -->`` for every
  module the page runs before its first screen (``first_screen_modules``: ``index.html``'s scripts followed
  through static imports only): the browser fetches that graph at once instead of one import level per round
  trip (Lighthouse's critical request chain). What the app loads with ``import()`` — the session and sync
  client after the first screen, the member screens of ``js/screens.js`` — is not preloaded: the start
  screens (enroll, 选择成员, PIN) do not wait for it (issue 8). It is in the precache all the same, so every
  screen opens offline. The preloads are ``fetchpriority="low"``, after the stylesheet, so that "联户
  加载中…" is painted while the modules load (at the default high priority the ~80 modules of the whole app
  arrived first and the first paint waited for the app's screen: Lighthouse's FCP 3.8 s instead of
  1.0–1.5 s; with the ~30 of the start screens the two priorities measure alike, LCP 2.1–2.2 s, FCP
  0.8–1.6 s low against 1.0–2.1 s high).
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import re
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from server.domain.declaration import DECLARATION_PATH
from server.precompressed import EncodedCache, encoded_response
from server.routes.common import settings_of

__all__ = [
    "AppFiles",
    "app_files",
    "first_screen_modules",
    "is_app_file",
    "precache_manifest",
    "routes",
    "shell_files",
    "static_app",
]

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")

PLACEHOLDER = '"__PRECACHE_MANIFEST__"'
PRELOAD_MARK = "<!-- modulepreload -->"
DECLARATION_URL = "/record-types.json"
# What the app is made of. Anything else in the folder (the icon generator's *.py, notes *.md, Node's
# package.json, editor droppings) is not the app and is not served: an allowlist, not a denylist, so a
# new kind of file stays private until someone decides otherwise (issue 9, hole 8).
APP_SUFFIXES = frozenset({".html", ".js", ".css", ".png", ".svg", ".ico", ".webp", ".webmanifest", ".woff2"})
# The one cache of compressed forms for the process (keyed by content, so every app and test may share it).
ENCODED = EncodedCache()


def is_app_file(relative: PurePosixPath) -> bool:
    """Whether a path inside the app folder names one of the app's files (by its name alone)."""
    return relative.suffix in APP_SUFFIXES and not any(
        part.startswith(".") or part in ("", "..", "__pycache__") for part in relative.parts
    )


def app_files(pwa_dir: Path) -> list[Path]:
    """Every file of the app that may be served, in a stable order (the service worker itself excepted)."""
    return sorted(
        path
        for path in pwa_dir.rglob("*")
        if path.is_file()
        and path.name != "sw.js"
        and is_app_file(PurePosixPath(path.relative_to(pwa_dir).as_posix()))
    )


# References from one file of the shell to another. Block comments go first (JSDoc names modules in
# `import('./x.js')` types, which load nothing).
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]""", re.M)
_BARE_IMPORT = re.compile(r"""^\s*import\s*['"]([^'"]+)['"]""", re.M)
_DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*['"]([^'"]+)['"]\s*\)""")
# An absolute path of an app file in quotes, in code or markup: '/icons/icon-192.png', '/record-types.json'.
_ABSOLUTE = re.compile(r"""['"](/[\w./-]+\.[a-z0-9]+)['"]""")
_HTML_REF = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", re.I)
_CSS_REF = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def _references(path: Path, text: str, *, lazy: bool) -> list[str]:
    if path.suffix == ".html":
        return _HTML_REF.findall(text) + _ABSOLUTE.findall(text)
    if path.suffix == ".css":
        return [a or b for a, b in _CSS_REF.findall(text)]
    if path.suffix == ".js":
        code = _BLOCK_COMMENT.sub("", text)
        static = _STATIC_IMPORT.findall(code) + _BARE_IMPORT.findall(code)
        if not lazy:
            return static
        return static + _DYNAMIC_IMPORT.findall(code) + _ABSOLUTE.findall(code)
    return []


def shell_files(pwa_dir: Path) -> list[PurePosixPath]:
    """The app shell: ``index.html`` and every app file it reaches (scripts, stylesheets, the manifest,
    icons it links), following ES module imports — ``import()`` of a screen loaded on demand included —,
    CSS ``url()``/``@import`` and quoted absolute paths of app files in the code (an ``<img
    src="/icons/…">`` drawn by a screen). Files nothing reaches — the manifest's install icons, modules no
    longer imported — are served on request but not precached."""
    return _reached(pwa_dir, lazy=True)


def first_screen_modules(pwa_dir: Path) -> list[PurePosixPath]:
    """The modules the page runs before its first screen: ``index.html``'s module scripts and their static
    imports, not what they load with ``import()`` (the member screens) nor the classic ``register-sw.js``."""
    return [
        relative
        for relative in _reached(pwa_dir, lazy=False)
        if relative.suffix == ".js" and relative.name != "register-sw.js"
    ]


def _reached(pwa_dir: Path, *, lazy: bool) -> list[PurePosixPath]:
    root = pwa_dir.resolve()
    found: dict[PurePosixPath, None] = {}
    todo = [PurePosixPath("index.html")]
    while todo:
        relative = todo.pop()
        if relative in found or relative.name == "sw.js" or not is_app_file(relative):
            continue
        path = root / relative
        if not path.is_file():
            continue
        found[relative] = None
        if path.suffix not in (".html", ".css", ".js"):
            continue
        for ref in _references(path, path.read_text(encoding="utf-8", errors="replace"), lazy=lazy):
            target = ref.split("?", 1)[0].split("#", 1)[0]
            if not target or "://" in target or target.startswith(("data:", "//")):
                continue
            joined = PurePosixPath(target.lstrip("/")) if target.startswith("/") else relative.parent / target
            parts: list[str] = []
            for part in joined.parts:
                if part == "..":
                    if not parts:
                        break
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            else:
                if parts:
                    todo.append(PurePosixPath(*parts))
    return sorted(found)


def _integrity(body: bytes) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def shell_html(pwa_dir: Path) -> bytes:
    """``index.html`` as served: its ``<!-- modulepreload -->`` mark replaced by a preload of every module
    the first screen needs (the entry module included), so that graph loads in one round trip."""
    html = (pwa_dir / "index.html").read_text(encoding="utf-8")
    if PRELOAD_MARK in html:
        links = "\n  ".join(
            f'<link rel="modulepreload" fetchpriority="low" href="/{module}">'
            for module in first_screen_modules(pwa_dir)
        )
        html = html.replace(PRELOAD_MARK, links, 1)
    return html.encode("utf-8")


def served_body(pwa_dir: Path, relative: PurePosixPath) -> bytes:
    if relative == PurePosixPath("index.html"):
        return shell_html(pwa_dir)
    return (pwa_dir / relative).read_bytes()


def precache_manifest(pwa_dir: Path) -> dict[str, object]:
    """What the service worker precaches: ``/`` (the page), the record-type declaration and the shell's
    files, each with the SRI integrity of the body the server sends; the version hashes them all and the
    worker's own source."""
    bodies = {"/": shell_html(pwa_dir), DECLARATION_URL: DECLARATION_PATH.read_bytes()}
    for relative in shell_files(pwa_dir):
        if relative != PurePosixPath("index.html"):
            bodies["/" + relative.as_posix()] = (pwa_dir / relative).read_bytes()
    digest = hashlib.sha256()
    for url, body in [*bodies.items(), ("/sw.js", (pwa_dir / "sw.js").read_bytes())]:
        digest.update(url.encode() + b"\0" + hashlib.sha256(body).digest())
    return {
        "version": digest.hexdigest()[:16],
        "urls": list(bodies),
        "integrity": {url: _integrity(body) for url, body in bodies.items()},
    }


async def service_worker(request: Request) -> Response:
    pwa_dir = settings_of(request).pwa_dir
    source = (pwa_dir / "sw.js").read_text(encoding="utf-8")
    manifest = json.dumps(precache_manifest(pwa_dir), ensure_ascii=False)
    body = source.replace(PLACEHOLDER, manifest, 1).encode("utf-8")
    return await encoded_response(request, ENCODED, body, "text/javascript", {"Service-Worker-Allowed": "/"})


async def record_types(request: Request) -> Response:
    """The record-type declaration the server validates with (docs/sync-protocol.md §3.4)."""
    return await encoded_response(request, ENCODED, DECLARATION_PATH.read_bytes(), "application/json")


class AppFiles:
    """The app's files at the site root (``/`` is ``index.html``); 404 for whatever is not one of them
    (``is_app_file``), for folders and for anything outside the folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        path = scope["path"]
        relative = PurePosixPath(path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
        root = self.directory.resolve()
        target = (root / relative).resolve()
        if not is_app_file(relative) or not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(status_code=404)
        media_type = mimetypes.guess_type(relative.name)[0] or "application/octet-stream"
        body = served_body(self.directory, relative)
        response = await encoded_response(request, ENCODED, body, media_type)
        await response(scope, receive, send)


def static_app(pwa_dir: Path) -> AppFiles:
    return AppFiles(pwa_dir)


routes = [
    Route("/sw.js", service_worker, methods=["GET"]),
    Route(DECLARATION_URL, record_types, methods=["GET"]),
]
