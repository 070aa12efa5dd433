"""Record ids derived from what the record is about, for types declared with ``id_from``.

A curtain check is one record per household and day, whichever member records it: both phones compute the
same id from (household, date), so two members who check the same door the same morning, both offline,
make one record whose fields and escalation steps merge. The id keeps the UUIDv7 form the protocol asks
for (version 7, RFC 9562 variant); its other 122 bits come from SHA-256, so ids of different records do not
collide. ``pwa/js/record-types.js`` computes the same (held to it by ``server/domain/vectors.json``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["derived_record_id"]


def derived_record_id(type_name: str, parts: Sequence[str]) -> str:
    """The id of the ``type_name`` record about ``parts`` (e.g. ``["hh-1", "2026-11-30"]``)."""
    digest = bytearray(hashlib.sha256("\n".join(["lianhu-record", type_name, *parts]).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x70
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
