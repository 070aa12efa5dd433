"""Random secrets and how they are stored (only hashes ever reach the database)."""

from __future__ import annotations

import hashlib
import secrets

__all__ = [
    "CODE_ALPHABET",
    "hash_secret",
    "new_device_id",
    "new_enrollment_code",
    "new_token",
    "normalize_code",
]

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEVICE_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_token() -> str:
    """A device session secret: 32 random bytes, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def new_device_id() -> str:
    """A replica id: 16 characters of ``[0-9a-z]`` (~82 bits)."""
    return "".join(secrets.choice(DEVICE_ID_ALPHABET) for _ in range(16))


def new_enrollment_code() -> str:
    """An 8-character one-time code shown as ``ABCD-EFGH``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(typed: str) -> str:
    """What a person typed → the canonical code: upper case, spaces and dashes dropped, dash re-inserted."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\t")
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
