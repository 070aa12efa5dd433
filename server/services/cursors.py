"""Cursors: positions in the op log, in a snapshot, or in the household list, sealed with AES-GCM under the
server's secret.

Sealing keeps cursors from telling anything about activity outside the caller's scope (a plain sequence
number would count everyone's writes) and makes a tampered or foreign cursor a clean ``invalid_cursor``.
Each kind has its own prefix, which is also the AES-GCM additional data: a cursor of one kind cannot be
passed off as another (a household cursor is no pull cursor).

- ``v2.`` an op cursor: the last ``seq`` the caller has been given (docs/sync-protocol.md §5);
- ``s1.`` a snapshot cursor: where a snapshot stands (:class:`SnapshotCursor`, §5.1);
- ``h1.`` a household cursor: where a listing of households stands (:class:`HouseholdCursor`, §8).
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.auth.secrets import b64url_decode, b64url_encode
from server.errors import BadRequest

__all__ = ["CursorBox", "HouseholdCursor", "SnapshotCursor"]

_OPS = "v2."
_SNAPSHOT = "s1."
_HOUSEHOLDS = "h1."
# end seq, tier, cutoff (days since the epoch), total, then the last record id sent (UTF-8, may be empty)
_SNAPSHOT_HEAD = struct.Struct(">QBiI")
# 0 = the changes after a version, 1 = a whole listing by id; the version or end; then the last id (UTF-8)
_HOUSEHOLDS_HEAD = struct.Struct(">BQ")


@dataclass(frozen=True)
class SnapshotCursor:
    """Where a snapshot stands.

    ``end`` is the end of the op log when the snapshot began: after the snapshot, pull goes on with the ops
    after it. ``tier`` 0 is the open work (sent first), 1 the rest; ``last`` the last record id sent in this
    tier ("" before its first page). ``cutoff`` (days since the epoch) and ``total`` (records readable at the
    start) are fixed for the whole snapshot so that every page sorts records into the same tiers.
    """

    end: int
    tier: int
    cutoff: int
    total: int
    last: str = ""


@dataclass(frozen=True)
class HouseholdCursor:
    """Where a listing of households stands.

    ``whole`` False: the households changed after version ``version`` come next. ``whole`` True: a listing of
    every household of the caller's grids, by id, after ``last``; ``version`` is the end read when it began,
    and the changes after it come once it is done.
    """

    version: int
    whole: bool = False
    last: str = ""


class CursorBox:
    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"lianhu-cursor\0" + secret_key.encode()).digest())

    def _seal(self, prefix: str, payload: bytes) -> str:
        nonce = os.urandom(12)
        # v2 cursors were sealed without additional data before the other kinds existed; keep them valid.
        aad = None if prefix == _OPS else prefix.encode()
        return prefix + b64url_encode(nonce + self._aead.encrypt(nonce, payload, aad))

    def _open(self, prefix: str, cursor: str) -> bytes:
        aad = None if prefix == _OPS else prefix.encode()
        raw = b64url_decode(cursor[len(prefix) :])
        return self._aead.decrypt(raw[:12], raw[12:], aad)

    def seal(self, seq: int) -> str:
        return self._seal(_OPS, seq.to_bytes(8, "big"))

    def seal_snapshot(self, position: SnapshotCursor) -> str:
        head = _SNAPSHOT_HEAD.pack(position.end, position.tier, position.cutoff, position.total)
        return self._seal(_SNAPSHOT, head + position.last.encode())

    def seal_households(self, position: HouseholdCursor) -> str:
        head = _HOUSEHOLDS_HEAD.pack(int(position.whole), position.version)
        return self._seal(_HOUSEHOLDS, head + position.last.encode())

    def open(self, cursor: str | None) -> int:
        """``None`` or ``""`` → 0 (from the start); raise ``invalid_cursor`` for anything not sealed by us."""
        position = self.open_pull(cursor)
        if isinstance(position, SnapshotCursor):
            raise _invalid(cursor or "")
        return position

    def open_pull(self, cursor: str | None) -> int | SnapshotCursor:
        """An op cursor (its seq; ``None`` or ``""`` → 0) or a snapshot cursor."""
        if not cursor:
            return 0
        try:
            if cursor.startswith(_OPS):
                return int.from_bytes(self._open(_OPS, cursor), "big")
            if cursor.startswith(_SNAPSHOT):
                raw = self._open(_SNAPSHOT, cursor)
                end, tier, cutoff, total = _SNAPSHOT_HEAD.unpack_from(raw)
                last = raw[_SNAPSHOT_HEAD.size :].decode()
                return SnapshotCursor(end=end, tier=tier, cutoff=cutoff, total=total, last=last)
            raise ValueError("unknown cursor kind")
        except (ValueError, InvalidTag, struct.error):
            raise _invalid(cursor) from None

    def open_households(self, cursor: str | None) -> HouseholdCursor | None:
        """Where a household listing stands; None for None or "" (a whole listing from the start)."""
        if not cursor:
            return None
        try:
            if not cursor.startswith(_HOUSEHOLDS):
                raise ValueError("not a household cursor")
            raw = self._open(_HOUSEHOLDS, cursor)
            whole, version = _HOUSEHOLDS_HEAD.unpack_from(raw)
            return HouseholdCursor(
                version=version, whole=bool(whole), last=raw[_HOUSEHOLDS_HEAD.size :].decode()
            )
        except (ValueError, InvalidTag, struct.error):
            raise _invalid(cursor) from None


def _invalid(cursor: str) -> BadRequest:
    message = f"cursor {cursor[:40]!r} was not issued by this server"
    return BadRequest("invalid_cursor", message, "同步游标无效")
