"""The application factory: ``create_app(settings)`` wires the store, routes and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from server.db import Store
from server.errors import ApiError, NotFound, api_error_handler
from server.routes import api, pwa, sync
from server.settings import Settings

__all__ = ["create_app"]


async def _unknown_api_route(request: Request) -> Response:
    raise NotFound(f"no API route {request.method} {request.url.path}")


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

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = Store(settings.database_url)
        try:
            yield
        finally:
            await app.state.store.dispose()

    app = Starlette(
        routes=[
            *api.routes,
            *sync.routes,
            Route("/api/{rest:path}", _unknown_api_route, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            *pwa.routes,
            Mount("/", app=pwa.static_app(settings.pwa_dir), name="pwa"),
        ],
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: _http_error,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
