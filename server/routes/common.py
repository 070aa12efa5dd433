"""What every API route needs: the store, settings, the caller, a bounded JSON body, the server clock."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.auth.principal import Principal, authenticate
from server.db import Store
from server.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from server.settings import Settings

__all__ = ["api_response", "current_principal", "now_ms", "read_json", "settings_of", "store_of"]


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def api_response(payload: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """A JSON response that also tells the client the server's time (for its clock offset)."""
    return JSONResponse({**payload, "server_time": now_ms()}, status_code=status_code)


async def current_principal(request: Request) -> Principal:
    async with store_of(request).read() as session:
        return await authenticate(session, request.headers.get("authorization"))


async def read_json(request: Request) -> Any:
    """The request body as JSON, refusing (before reading it all) bodies over ``max_body_bytes``."""
    limit = settings_of(request).max_body_bytes
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(
            "unsupported_media_type",
            f"Content-Type must be application/json, got {content_type or 'nothing'!r}",
            "请求格式须为 JSON",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _too_large(len(body), limit)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(
            "malformed_json", f"request body is not valid UTF-8 JSON: {error}", "请求内容不是有效的 JSON"
        ) from None


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "payload_too_large", f"request body is at least {size} bytes; the limit is {limit}", "请求体过大"
    )
