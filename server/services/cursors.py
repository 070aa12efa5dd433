"""Pull cursors: a sequence number sealed with AES-GCM under the server's secret.

Sealing keeps cursors from telling anything about activity outside the caller's scope (a plain sequence
number would count everyone's writes) and makes a tampered or foreign cursor a clean ``invalid_cursor``.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.auth.secrets import b64url_decode, b64url_encode
from server.errors import BadRequest

__all__ = ["CursorBox"]

_PREFIX = "v2."


class CursorBox:
    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"lianhu-cursor\0" + secret_key.encode()).digest())

    def seal(self, seq: int) -> str:
        nonce = os.urandom(12)
        return _PREFIX + b64url_encode(nonce + self._aead.encrypt(nonce, seq.to_bytes(8, "big"), None))

    def open(self, cursor: str | None) -> int:
        """``None`` or ``""`` → 0 (from the start); raise ``invalid_cursor`` for anything not sealed by us."""
        if not cursor:
            return 0
        try:
            if not cursor.startswith(_PREFIX):
                raise ValueError("unknown cursor version")
            raw = b64url_decode(cursor[len(_PREFIX) :])
            return int.from_bytes(self._aead.decrypt(raw[:12], raw[12:], None), "big")
        except (ValueError, InvalidTag):
            raise BadRequest(
                "invalid_cursor", f"cursor {cursor[:40]!r} was not issued by this server", "同步游标无效"
            ) from None
