"""UUID version 7 (RFC 9562 §5.7): 48 bits of Unix time in ms, then 74 random bits.

Ids made this way sort by creation time, which keeps the server's indexes append-mostly.
"""

from __future__ import annotations

import os
import re
import time
from typing import Final

__all__ = ["is_uuid7", "uuid7"]

_UUID7_RE: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_RAND_BYTES: Final = 10  # 80 bits, of which the low 74 are used


def uuid7(ms: int | None = None, rand: bytes | None = None) -> str:
    """Return a new UUIDv7 in lowercase canonical form.

    ``ms`` defaults to the current Unix time in ms and must fit 48 bits; ``rand`` defaults to 10 bytes
    from ``os.urandom`` and must be exactly 10 bytes (its low 74 bits fill ``rand_a`` and ``rand_b``).
    """
    if ms is None:
        ms = time.time_ns() // 1_000_000
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms < 1 << 48:
        raise ValueError(f"ms must be an int in [0, 2**48), got {ms!r}")
    if rand is None:
        rand = os.urandom(_RAND_BYTES)
    if not isinstance(rand, bytes) or len(rand) != _RAND_BYTES:
        raise ValueError(f"rand must be {_RAND_BYTES} bytes, got {rand!r}")
    bits = int.from_bytes(rand, "big")
    rand_a = (bits >> 62) & 0xFFF
    rand_b = bits & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def is_uuid7(s: str) -> bool:
    """Whether ``s`` is a UUID in lowercase canonical form with version 7 and the RFC 9562 variant."""
    return isinstance(s, str) and _UUID7_RE.fullmatch(s) is not None
