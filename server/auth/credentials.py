"""Verifying the two kinds of device credential: WebAuthn passkeys and WebCrypto device keys.

Relying-party checks follow WebAuthn Level 3 §7.1/§7.2 through py_webauthn (origin, RP id hash, challenge,
user presence and verification, signature counter). A device key is an ECDSA P-256 key pair made by the app
with WebCrypto; it signs ``"<purpose>\\n<origin>\\n<challenge>"`` so a signature cannot be replayed for
another purpose, site or ceremony. Every failure becomes :class:`CredentialError` with a message saying
which check failed; third-party exceptions do not leak past this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from server.auth.secrets import b64url_decode, b64url_encode

__all__ = [
    "CounterRegression",
    "CredentialError",
    "RelyingParty",
    "VerifiedPasskey",
    "device_key_message",
    "parse_device_key",
    "verify_device_key",
]


class CredentialError(ValueError):
    """A credential or signature failed a check; the message names the check."""


class CounterRegression(CredentialError):
    """A passkey's signature counter did not increase: the authenticator may have been cloned."""


@dataclass(frozen=True, kw_only=True)
class RelyingParty:
    rp_id: str
    rp_name: str
    origin: str


@dataclass(frozen=True)
class VerifiedPasskey:
    credential_id: str  # base64url
    public_key: str  # base64url of the COSE key
    sign_count: int


def registration_options(
    rp: RelyingParty, *, member_id: int, member_name: str, challenge: bytes
) -> dict[str, Any]:
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.rp_name,
        user_id=f"lianhu-member-{member_id}".encode(),
        user_name=member_name,
        user_display_name=member_name,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def verify_registration(rp: RelyingParty, *, credential: object, challenge: bytes) -> VerifiedPasskey:
    if not isinstance(credential, dict):
        raise CredentialError("credential must be the JSON of a PublicKeyCredential")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise CredentialError(f"passkey registration failed: {error}") from None
    return VerifiedPasskey(
        credential_id=b64url_encode(verified.credential_id),
        public_key=b64url_encode(verified.credential_public_key),
        sign_count=verified.sign_count,
    )


def authentication_options(rp: RelyingParty, *, credential_id: str, challenge: bytes) -> dict[str, Any]:
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=challenge,
        allow_credentials=[PublicKeyCredentialDescriptor(id=b64url_decode(credential_id))],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def verify_authentication(
    rp: RelyingParty,
    *,
    credential: object,
    challenge: bytes,
    credential_id: str,
    public_key: str,
    sign_count: int,
) -> int:
    """Check a passkey assertion for the device's own credential; return the new signature counter.

    A counter that did not increase (when either side is non-zero) raises: the authenticator may be cloned.
    Authenticators that always report 0 pass.
    """
    if not isinstance(credential, dict):
        raise CredentialError("credential must be the JSON of a PublicKeyCredential")
    if credential.get("id") != credential_id or credential.get("rawId", credential_id) != credential_id:
        raise CredentialError("the assertion is for another credential than this device's")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=b64url_decode(public_key),
            credential_current_sign_count=sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        # py_webauthn reports a counter regression only through this message (WebAuthn §7.2 step 21).
        failure = CounterRegression if "sign count" in str(error) else CredentialError
        raise failure(f"passkey login failed: {error}") from None
    return verified.new_sign_count


def device_key_message(purpose: str, origin: str, challenge: bytes) -> bytes:
    """What a device key signs: purpose, origin and the challenge (base64url) on three lines."""
    return f"{purpose}\n{origin}\n{b64url_encode(challenge)}".encode()


def parse_device_key(jwk: object) -> str:
    """Validate a P-256 public JWK and return it in canonical JSON (what is stored)."""
    if not isinstance(jwk, Mapping):
        raise CredentialError("public_key must be a JWK object")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise CredentialError(
            f"public_key must be an EC P-256 JWK, got kty={jwk.get('kty')!r} crv={jwk.get('crv')!r}"
        )
    if "d" in jwk:
        raise CredentialError("public_key contains a private part ('d'); send only the public key")
    _load_public_key({"x": jwk.get("x"), "y": jwk.get("y")})
    return json.dumps({"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}, sort_keys=True)


def _load_public_key(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    try:
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("coordinates must be 32 bytes")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        return numbers.public_key()
    except (KeyError, ValueError, TypeError) as error:
        raise CredentialError(f"public_key is not a valid P-256 point: {error}") from None


def verify_device_key(*, public_key: str, message: bytes, signature: object) -> None:
    """Check a WebCrypto ECDSA P-256/SHA-256 signature (raw ``r‖s``, base64url) over ``message``."""
    if not isinstance(signature, str):
        raise CredentialError("signature must be a base64url string")
    try:
        raw = b64url_decode(signature)
    except ValueError:
        raise CredentialError("signature is not base64url") from None
    if len(raw) != 64:
        raise CredentialError(f"signature must be 64 bytes (raw r‖s), got {len(raw)}")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = _load_public_key(json.loads(public_key))
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise CredentialError("device-key signature does not match this challenge") from None
