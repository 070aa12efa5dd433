"""Compressed answers on the wire (issue 8): brotli when the client takes it, else gzip, else none.

``Compression`` is ASGI middleware around the whole app. It compresses every answer whose type is text
(JSON, JavaScript, HTML, CSS, SVG, the web manifest) and whose body is worth it, as it streams, and marks
every such answer ``Vary: Accept-Encoding``, compressed or not, so that no cache hands a brotli body to a
client that asked for none. It leaves alone what is already encoded (the app's files, which
``server/precompressed.py`` compresses once per content at the best level), answers to ``HEAD``, ``204``,
``304`` and ranges. Every other header — the CSP, ``Cache-Control: no-store`` on ``/api/`` — passes
through untouched.

Levels: a pull page of 500 visit ops (254 KB of JSON) becomes ~24 KB at brotli quality 5 in ~10 ms of
CPU, against ~21 KB at quality 11 in ~3 s; gzip 6 makes ~27 KB. Dynamic answers use the fast levels.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Protocol

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "BROTLI_QUALITY",
    "GZIP_LEVEL",
    "MINIMUM_BYTES",
    "Compression",
    "choose_encoding",
    "is_compressible",
]

BROTLI_QUALITY = 5
GZIP_LEVEL = 6
# Below this a compressed body saves less than its own framing costs (and tiny answers are mostly headers).
MINIMUM_BYTES = 256
COMPRESSIBLE_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)
SUPPORTED = ("br", "gzip")  # in order of preference when the client weighs them equally


def is_compressible(content_type: str) -> bool:
    """Whether a body of this ``Content-Type`` is text that compresses (images and fonts already are)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in COMPRESSIBLE_TYPES


def choose_encoding(accept_encoding: str) -> str | None:
    """The encoding to answer a request with, from its ``Accept-Encoding`` (RFC 9110 §12.5.3): the
    supported coding with the highest q-value, brotli first among equals; ``*`` stands for any coding not
    named; ``q=0`` refuses. ``None``: send the body as it is."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name] = weight
    star = weights.get("*")
    best: tuple[float, str] | None = None
    for coding in SUPPORTED:
        weight = weights.get(coding, star if star is not None else 0.0)
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, coding)
    return best[1] if best else None


class _Encoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Brotli:
    def __init__(self) -> None:
        self._compressor = brotli.Compressor(quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)

    def feed(self, data: bytes) -> bytes:
        out: bytes = self._compressor.process(data)
        flushed: bytes = self._compressor.flush()
        return out + flushed

    def finish(self) -> bytes:
        out: bytes = self._compressor.finish()
        return out


class _Gzip:
    def __init__(self) -> None:
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._compressor.flush(zlib.Z_FINISH)


def compress(body: bytes, encoding: str) -> bytes:
    """One whole body at the dynamic levels."""
    if encoding == "br":
        out: bytes = brotli.compress(body, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)
        return out
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


def _add_vary(headers: MutableHeaders) -> None:
    vary = headers.get("vary", "")
    if "accept-encoding" not in vary.lower():
        headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"


class Compression:
    """Compress text answers for clients that accept brotli or gzip (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        encoding = None
        if scope["method"] != "HEAD" and "range" not in request_headers:
            encoding = choose_encoding(request_headers.get("accept-encoding", ""))
        start: Message | None = None
        encoder: _Encoder | None = None
        passthrough = False

        async def send_compressed(message: Message) -> None:
            nonlocal start, encoder, passthrough
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if not is_compressible(headers.get("content-type", "")):
                    passthrough = True
                    await send(message)
                    return
                _add_vary(headers)
                if (
                    encoding is None
                    or message["status"] in (204, 206, 304)
                    or message["status"] < 200
                    or "content-encoding" in headers
                ):
                    passthrough = True
                    await send(message)
                    return
                start = message  # held until the first body chunk says how big the answer is
                return
            if message["type"] != "http.response.body" or passthrough:
                await send(message)
                return
            assert start is not None and encoding is not None
            body: bytes = message.get("body", b"")
            more: bool = message.get("more_body", False)
            if encoder is None and not more:
                held, start = start, None
                if len(body) < MINIMUM_BYTES:
                    passthrough = True
                    await send(held)
                    await send(message)
                    return
                compressed = compress(body, encoding)
                headers = MutableHeaders(scope=held)
                _mark_encoded(headers, encoding)
                headers["content-length"] = str(len(compressed))
                await send(held)
                await send({"type": "http.response.body", "body": compressed, "more_body": False})
                return
            if encoder is None:  # a streamed answer: compress chunk by chunk, length unknown
                encoder = _Brotli() if encoding == "br" else _Gzip()
                headers = MutableHeaders(scope=start)
                _mark_encoded(headers, encoding)
                del headers["content-length"]
                await send(start)
            chunk = encoder.feed(body) if more else encoder.feed(body) + encoder.finish()
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

        await self.app(scope, receive, send_compressed)


def _mark_encoded(headers: MutableHeaders, encoding: str) -> None:
    headers["content-encoding"] = encoding
    # The encoded body is another representation: a strong validator of the plain one must not name it.
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        headers["etag"] = "W/" + etag
