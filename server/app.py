"""The application factory: ``create_app(settings)`` wires the store, routes and error handling."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import console
from server.auth.rate_limit import RateLimiter
from server.compression import Compression
from server.db import Store
from server.errors import ApiError, MethodNotAllowed, NotFound, api_error_handler
from server.routes import api, auth, pwa, sync
from server.services.cursors import CursorBox
from server.services.read_audit import close_read_audit
from server.settings import Settings

__all__ = ["create_app"]


class OriginCheck:
    """Refuse API requests whose ``Origin`` header names another site (403 ``bad_origin``).

    Browsers send ``Origin`` on every cross-origin request and on same-origin POSTs; a request from our own
    pages carries ours. Scripts that send no ``Origin`` are judged by their bearer token alone.
    """

    def __init__(self, app: ASGIApp, origin: str) -> None:
        self.app = app
        self.origin = origin.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            origin = dict(scope["headers"]).get(b"origin")
            if origin is not None and origin != self.origin:
                # Say what to do: the usual cause is opening http://127.0.0.1:PORT instead of the address
                # the server was started for (passkeys and signatures are bound to that one origin).
                ours = self.origin.decode("latin-1")
                message = (
                    f"requests from origin {origin.decode('latin-1')!r} are not accepted; "
                    f"open the app at {ours}/ (or set LIANHU_ORIGIN to the address you use)"
                )
                message_zh = f"网址不对：请用 {ours}/ 打开联户（不要用 127.0.0.1 或其他地址）"
                response = JSONResponse(
                    {"error": {"code": "bad_origin", "message": message, "message_zh": message_zh}},
                    status_code=403,
                )  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# The app loads nothing from elsewhere and runs no inline script: an injected script cannot run, which is
# what keeps a device key (usable by any script in our origin) from being misused (docs/security.md).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


NO_STORE = (b"cache-control", b"no-store")
API_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class SecurityHeaders:
    """Add the CSP and friends to every response, and ``Cache-Control: no-store`` to every API answer.

    An API answer holds personal data: a browser must not keep it in its disk cache, where the next
    person on a shared tablet could open it after the member has locked the app (issue 9, hole 1).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = [*SECURITY_HEADERS, NO_STORE] if scope["path"].startswith("/api/") else SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if not (name.lower() == b"cache-control" and extra is not SECURITY_HEADERS)
                ]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _unknown_api_route(request: Request) -> Response:
    """What no API route took: a known path called with another method is 405 (with ``Allow``), the
    rest 404. Starlette would say 405 itself, but this catch-all matches every method and path first."""
    path = request.url.path
    allowed = sorted(
        {
            method
            for route in request.app.routes
            if isinstance(route, Route) and route.endpoint is not _unknown_api_route
            and route.path_regex.match(path)
            for method in route.methods or ()
        }
    )  # fmt: skip
    if allowed:
        raise MethodNotAllowed(request.method, path, allowed)
    raise NotFound(f"no API route {request.method} {path}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(
        {"error": {"code": code, "message": str(exc.detail), "message_zh": "请求无效"}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "internal_error",
                "message": "the server failed; nothing was stored",
                "message_zh": "服务器出错，数据未保存",
            }
        },
        status_code=500,
    )


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the ASGI app. The database is opened in the lifespan and closed at shutdown."""
    settings = settings or Settings.from_env()
    settings.check()
    if not settings.secret_key:  # tests and throwaway servers: cursors then only last as long as the process
        settings = replace(settings, secret_key=secrets.token_urlsafe(48))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = Store(
            settings.database_url,
            lock_timeout=settings.lock_timeout_seconds,
            queue_timeout=settings.queue_timeout_seconds,
            statement_timeout=settings.statement_timeout_seconds,
        )
        try:
            # A read-only database is said once, clearly, at start-up (`lianhu serve` then exits), not
            # as a 500 on the first push (issue 9, hole 8).
            await app.state.store.check_writable()
            yield
        finally:
            watcher = getattr(app.state, "console_log_watcher", None)  # the console's live pages
            if watcher is not None:
                await watcher.close()
            try:
                await close_read_audit(app.state.store)
            finally:
                await app.state.store.dispose()

    app = Starlette(
        routes=[
            *auth.routes,
            *api.routes,
            *sync.routes,
            Route("/api/{rest:path}", _unknown_api_route, methods=API_METHODS),
            *console.routes,
            *pwa.routes,
            Mount("/", app=pwa.static_app(settings.pwa_dir), name="pwa"),
        ],
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: _http_error,
            Exception: _server_error,
        },
        # Compression is outermost: it sees every answer, the refusals of the other two included.
        middleware=[
            Middleware(Compression),
            Middleware(SecurityHeaders),
            Middleware(OriginCheck, origin=settings.origin),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth_limiter = RateLimiter(settings.auth_rate_per_minute)
    app.state.cursors = CursorBox(settings.secret_key)
    return app
