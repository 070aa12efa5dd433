"""Enrolled devices (each one a sync replica and one credential) and the one-time codes that enroll them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class AuthMethod(enum.StrEnum):
    PASSKEY = "passkey"  # WebAuthn platform authenticator
    DEVICE_KEY = "device_key"  # WebCrypto ECDSA P-256 key pair kept by the app


class EnrollmentCode(Base):
    """A single-use code bound to one member. Only its SHA-256 is stored."""

    __tablename__ = "enrollment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Device(Base):
    """A member's enrolled device. Its id is the replica id stamped on every op it creates."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[AuthMethod] = mapped_column(
        Enum(
            AuthMethod,
            name="auth_method",
            native_enum=False,
            length=16,
            validate_strings=True,
            values_callable=lambda methods: [m.value for m in methods],
        )
    )
    # Passkey: the credential id (base64url) and its COSE public key (base64url). Device key: the JWK.
    credential_id: Mapped[str | None] = mapped_column(String(1024), unique=True)
    public_key: Mapped[str] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # Given to the app once per enrollment to wrap its local data key (see docs/security.md).
    recovery_key: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the secret the app sends with a PIN-lockout report: only this device can lock itself.
    lockout_key_hash: Mapped[str] = mapped_column(String(64))
    # Device keys only: the PIN verifier (base64url of PBKDF2-SHA-256(PIN, the app's salt), 32 bytes) that a
    # device-key login's PIN proof is checked against, and the wrong proofs since the last right one; at 5
    # the device is locked (docs/sync-protocol.md §2.2). Null until the app registers it after enrollment.
    pin_verifier: Mapped[str | None] = mapped_column(String(64))
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.locked_at is None
