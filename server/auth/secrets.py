"""Random secrets and how they are stored (only hashes of bearer secrets ever reach the database)."""

from __future__ import annotations

import base64
import hashlib
import secrets

__all__ = [
    "CODE_ALPHABET",
    "b64url_decode",
    "b64url_encode",
    "hash_secret",
    "new_challenge",
    "new_device_id",
    "new_enrollment_code",
    "new_token",
    "normalize_code",
]

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEVICE_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; raise ``ValueError`` on anything else."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError(f"not base64url: {text!r:.40}")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError(f"not base64url: {text!r:.40}") from error


def new_token() -> str:
    """A session secret or ceremony id: 32 random bytes, base64url (43 characters)."""
    return secrets.token_urlsafe(32)


def new_challenge() -> bytes:
    """A WebAuthn/device-key challenge: 32 random bytes (the spec asks for at least 16)."""
    return secrets.token_bytes(32)


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
