"""What every API route needs: the store, settings, the caller, a bounded JSON body, the server clock."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from server.auth.principal import Principal, authenticate
from server.auth.rate_limit import RateLimiter
from server.auth.sessions import COOKIE_NAME, TOUCH_INTERVAL, touch_session
from server.db import Store
from server.errors import BadRequest, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from server.settings import Settings

__all__ = [
    "api_response",
    "client_address",
    "current_principal",
    "now_ms",
    "parse_json_body",
    "rate_limiter",
    "read_json",
    "settings_of",
    "store_of",
]


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.auth_limiter
    return limiter


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def api_response(payload: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """A JSON response that also tells the client the server's time (for its clock offset)."""
    return JSONResponse({**payload, "server_time": now_ms()}, status_code=status_code)


async def current_principal(request: Request) -> Principal:
    """The caller, from the session cookie or bearer token (with CSRF proof for cookie changes)."""
    async with reading_as_caller(request) as (principal, _):
        return principal


@asynccontextmanager
async def reading_as_caller(request: Request) -> AsyncIterator[tuple[Principal, AsyncSession]]:
    """A read transaction that starts by resolving the caller (:func:`current_principal`), for routes that
    read as the caller: one transaction instead of two. The session's idle clock is moved on after the
    read has closed, so a request never holds two pooled connections at once."""
    now = datetime.now(UTC)
    store = store_of(request)
    async with store.read() as session:
        principal = await authenticate(
            session,
            method=request.method,
            cookie=request.cookies.get(COOKIE_NAME),
            authorization=request.headers.get("authorization"),
            csrf_header=request.headers.get("x-csrf-token"),
            now=now,
            scopes=store.scopes,
        )
        yield principal, session
    if principal.session_last_seen + TOUCH_INTERVAL <= now:
        await touch_session(store, principal.session_id, now)  # best effort: never waits for writers


async def read_json(request: Request) -> Any:
    """The request body as JSON, refusing (before reading it all) bodies over ``max_body_bytes`` and
    bodies that take longer than ``body_timeout_seconds`` to arrive (408; a slow sender must not hold a
    connection and a task for ever)."""
    settings = settings_of(request)
    limit = settings.max_body_bytes
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
    try:
        async with asyncio.timeout(settings.body_timeout_seconds):
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    raise _too_large(len(body), limit)
    except TimeoutError:
        raise RequestTimeout(
            f"the request body did not arrive within {settings.body_timeout_seconds} s "
            f"({len(body)} bytes came)"
        ) from None
    return parse_json_body(bytes(body))


class UnrepresentableNumber:
    """A JSON number Python should not turn into an ``int`` (thousands of digits) or that is not a number
    at all (``NaN``, ``Infinity``). Kept as a marker so the value that holds it fails on its own (a push
    rejects just that op ``invalid_op``) instead of failing the whole request."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        shown = self.text if len(self.text) <= 20 else f"{self.text[:10]}…({len(self.text)} digits)"
        return f"unrepresentable number {shown}"


MAX_INT_DIGITS = 100  # far beyond any id or count we use; int() of 4,301+ digits raises in Python 3.11


def _parse_int(text: str) -> int | UnrepresentableNumber:
    return int(text) if len(text) <= MAX_INT_DIGITS else UnrepresentableNumber(text)


def parse_json_body(body: bytes) -> Any:
    """Decode a request body; anything that is not UTF-8 JSON (or nests past the parser's recursion
    limit) is ``400 malformed_json``. Oddities inside valid JSON (lone surrogates, NaN, huge integers)
    are left for the value's own checks, so one bad op in a push does not fail its neighbours."""
    try:
        return json.loads(body.decode("utf-8"), parse_int=_parse_int, parse_constant=UnrepresentableNumber)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(
            "malformed_json", f"request body is not valid UTF-8 JSON: {error}", "请求内容不是有效的 JSON"
        ) from None
    except RecursionError:
        raise BadRequest(
            "malformed_json", "request body nests too deeply to be read", "请求内容嵌套过深"
        ) from None


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "payload_too_large", f"request body is at least {size} bytes; the limit is {limit}", "请求体过大"
    )
