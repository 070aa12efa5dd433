"""Serving the app with uvicorn (``lianhu serve``): whom to believe about a client's address, and bounds on
what one connection may hold (issue 9, holes 4 and 7).

- **Forwarded headers** (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only from the proxies
  named in ``LIANHU_TRUSTED_PROXIES``; by default from no one, so the client address that rate limits and
  the audit log use is the TCP peer. (uvicorn on its own believes anyone connecting from 127.0.0.1.)
- **A request head must arrive within** ``LIANHU_HEADER_TIMEOUT_SECONDS`` of the connection opening (or of
  the previous answer on a kept-alive connection), and be at most 64 KiB; otherwise the connection is
  closed (with ``408`` if part of a request came). uvicorn has no such bound: a connection that sends
  nothing stays open for ever. The body has its own bound (``read_json``).
- **At most** ``LIANHU_MAX_CONNECTIONS`` connections are open at once; one more is answered ``503 busy``
  with ``Retry-After`` and closed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings

__all__ = ["MAX_HEAD_BYTES", "bounded_protocol", "serve"]

MAX_HEAD_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 5


def _raw_answer(status: str, code: str, message: str, message_zh: str, *extra: str) -> bytes:
    """A complete JSON error response, written straight to the socket (there is no request to answer)."""
    body = json.dumps(
        {"error": {"code": code, "message": message, "message_zh": message_zh}}, ensure_ascii=False
    ).encode()
    head = [
        f"HTTP/1.1 {status}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "cache-control: no-store",
        "connection: close",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def bounded_protocol(*, header_timeout: float, max_connections: int) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with a time and size bound on request heads and a connection cap."""

    class BoundedHttpProtocol(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_timer: asyncio.TimerHandle | None = None
            self._head_bytes = 0
            self._head_started = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self._close_with(
                    _raw_answer(
                        "503 Service Unavailable", "busy",
                        f"the server has {max_connections} connections open; try again",
                        "服务器繁忙，请稍后再试", f"retry-after: {RETRY_AFTER_SECONDS}",
                    )
                )  # fmt: skip
                return
            self._arm_head_timer()

        def data_received(self, data: bytes) -> None:
            waiting = self._head_timer is not None
            super().data_received(data)
            if waiting and self._head_timer is not None and not self.transport.is_closing():
                self._head_bytes += len(data)  # the head has not ended yet: all of this was head
                if self._head_bytes > MAX_HEAD_BYTES:
                    self._close_with(
                        _raw_answer(
                            "431 Request Header Fields Too Large", "headers_too_large",
                            f"the request head is over {MAX_HEAD_BYTES} bytes", "请求头过大",
                        )
                    )  # fmt: skip

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_started = True

        def on_headers_complete(self) -> None:
            self._disarm_head_timer()
            self._head_started = False
            self._head_bytes = 0
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.cycle is not None and self.cycle.response_complete:
                self._arm_head_timer()  # kept alive: the next request's head has the same bound

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_timer()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            self._disarm_head_timer()
            self._head_bytes = 0
            self._head_timer = self.loop.call_later(header_timeout, self._head_timed_out)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            if not self._head_started:  # nothing of a request came: just hang up
                self.transport.close()
                return
            self._close_with(
                _raw_answer(
                    "408 Request Timeout", "request_timeout",
                    f"the request head did not arrive within {header_timeout:g} s", "请求发送超时",
                )
            )  # fmt: skip

        def _close_with(self, answer: bytes) -> None:
            self._disarm_head_timer()
            self.transport.write(answer)
            self.transport.close()

    return BoundedHttpProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options ``lianhu serve`` gives uvicorn, from the settings."""
    trusted = settings.trusted_proxy_list
    return {
        "log_level": settings.log_level,
        "lifespan": "on",  # a failed start (a read-only database) must stop the server, not be ignored
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
        "http": bounded_protocol(
            header_timeout=settings.header_timeout_seconds, max_connections=settings.max_connections
        ),
        "timeout_keep_alive": min(5, settings.header_timeout_seconds),
    }


def serve(app: Starlette, settings: Settings, *, host: str, port: int) -> None:
    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))
