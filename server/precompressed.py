"""The app's files as sent: each one's brotli and gzip forms, made once per content, with a validator.

A file is read and hashed (SHA-256) on every request — a few microseconds for the app's small files — and
its compressed forms are looked up by that hash, so an edited file is never answered with the forms of its
old content, whatever its timestamps say. The forms are made at the strongest levels (brotli 11, gzip 9)
the first time a content is asked for, off the event loop, and kept (a bounded number of contents; old
versions of a file fall out first).

``encoded_response`` answers a ``GET``/``HEAD`` with the form the client accepts, ``Cache-Control:
no-cache`` and an ``ETag`` naming the content (and the coding: each form is its own representation),
``Vary: Accept-Encoding``, and ``304`` when ``If-None-Match`` names this content already.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import brotli
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from server.compression import choose_encoding, is_compressible

__all__ = ["Encoded", "EncodedCache", "encoded_response"]

MAX_CONTENTS = 512  # the app has ~90 files: room for several versions of each


@dataclass(frozen=True)
class Encoded:
    """One content in each form worth sending (``None``: that coding would not make it smaller)."""

    digest: str  # hex SHA-256 of the plain body
    plain: bytes
    br: bytes | None
    gzip: bytes | None

    def form(self, coding: str | None) -> tuple[str | None, bytes]:
        if coding == "br" and self.br is not None:
            return "br", self.br
        if coding in ("br", "gzip") and self.gzip is not None:
            # A client that takes brotli takes gzip too (choose_encoding only names br when it weighs it
            # at least as high): gzip is the fallback when brotli made nothing smaller.
            return "gzip", self.gzip
        return None, self.plain

    def etag(self, coding: str | None) -> str:
        return f'"{self.digest[:32]}{"-" + coding if coding else ""}"'


def _encode(body: bytes, digest: str, compressible: bool) -> Encoded:
    if not compressible:
        return Encoded(digest, body, None, None)
    br: bytes = brotli.compress(body, quality=11, mode=brotli.MODE_TEXT)
    gz = gzip.compress(body, 9, mtime=0)
    return Encoded(
        digest,
        body,
        br if len(br) < len(body) else None,
        gz if len(gz) < len(body) else None,
    )


class EncodedCache:
    """Compressed forms by content hash (see the module docstring)."""

    def __init__(self, max_contents: int = MAX_CONTENTS) -> None:
        self._max = max_contents
        self._by_digest: OrderedDict[str, Encoded] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, digest: str) -> Encoded | None:
        with self._lock:
            found = self._by_digest.get(digest)
            if found is not None:
                self._by_digest.move_to_end(digest)
            return found

    def encode(self, body: bytes, content_type: str) -> Encoded:
        """The forms of ``body``, made now if this content is new (blocking: call it off the loop)."""
        digest = hashlib.sha256(body).hexdigest()
        found = self.cached(digest)
        if found is not None:
            return found
        made = _encode(body, digest, is_compressible(content_type))
        with self._lock:
            self._by_digest[digest] = made
            while len(self._by_digest) > self._max:
                self._by_digest.popitem(last=False)
        return made

    async def get(self, body: bytes, content_type: str) -> Encoded:
        found = self.cached(hashlib.sha256(body).hexdigest())
        return found if found is not None else await to_thread.run_sync(self.encode, body, content_type)


def _names_tag(if_none_match: str, encoded: Encoded) -> bool:
    """Whether ``If-None-Match`` names this content in any form (weak comparison, RFC 9110 §13.1.2)."""
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return any(encoded.etag(coding) in tags for coding in (None, "br", "gzip"))


async def encoded_response(
    request: Request, cache: EncodedCache, body: bytes, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """Answer with ``body`` in the form the client accepts (see the module docstring)."""
    content_type = media_type + ("; charset=utf-8" if is_compressible(media_type) else "")
    encoded = await cache.get(body, content_type)
    coding, payload = encoded.form(choose_encoding(request.headers.get("accept-encoding", "")))
    sent = {"Cache-Control": "no-cache", **(headers or {}), "ETag": encoded.etag(coding)}
    if is_compressible(media_type):
        sent["Vary"] = "Accept-Encoding"
    if _names_tag(request.headers.get("if-none-match", ""), encoded):
        return Response(status_code=304, headers=sent)
    if coding:
        sent["Content-Encoding"] = coding
    response = Response(payload, status_code=200, headers=sent, media_type=content_type)
    if request.method == "HEAD":
        response.body = b""  # the length stays that of the body a GET gets
    return response
