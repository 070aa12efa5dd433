"""Enrollment, login, logout and lockout (docs/sync-protocol.md §1–2). Thin: parse → service → response."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth.sessions import COOKIE_NAME
from server.errors import BadRequest
from server.models import Device, Member
from server.routes.common import (
    api_response,
    client_address,
    current_principal,
    rate_limiter,
    read_json,
    settings_of,
    store_of,
)
from server.services import enrollment, login
from server.services.enrollment import EnrollOptions
from sync import canonical_json

SESSION_KINDS = ("cookie", "token")


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of an enrollment or login request, counted against the caller's address.

    Nothing here is counted against a device: a device id is no secret (colleagues see it in every pulled
    op), so a limit keyed by it would let anyone lock its owner out (issue 9, hole 5). A device's own
    allowance is spent only by attempts that prove its credential (:func:`_proven`).
    """
    rate_limiter(request).hit(f"ip:{client_address(request)}")
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise BadRequest("invalid_request", "expected a JSON object", "请求格式错误")
    try:
        canonical_json(payload).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        raise BadRequest(
            "invalid_request", "the body holds a value that is not plain JSON text", "请求格式错误"
        ) from None
    return payload


def _proven(request: Request) -> Callable[[str], None]:
    """Counts a login whose credential checked out against that device (a script holding a device key,
    or a cloned passkey, cannot log in without bound)."""
    limiter = rate_limiter(request)
    return lambda device_id: limiter.hit(f"device:{device_id}")


def _via_cookie(payload: dict[str, Any]) -> bool:
    kind = payload.get("session", "cookie")
    if kind not in SESSION_KINDS:
        raise BadRequest(
            "invalid_request", f"session must be one of {SESSION_KINDS}, got {kind!r}", "请求格式错误"
        )
    return bool(kind == "cookie")


def _enroll_options(request: Request, payload: dict[str, Any]) -> EnrollOptions:
    label, shared, previous = (
        payload.get("label", ""),
        payload.get("shared", False),
        payload.get("previous_device"),
    )
    if (
        not isinstance(label, str)
        or not isinstance(shared, bool)
        or not (previous is None or isinstance(previous, str))
    ):
        raise BadRequest(
            "invalid_request",
            "label must be a string, shared a boolean, previous_device a string or null",
            "请求格式错误",
        )
    return EnrollOptions(
        label=label.strip(), shared=shared, previous_device=previous, via_cookie=_via_cookie(payload),
        client=client_address(request),
    )  # fmt: skip


def _signed_in(
    request: Request, *, token: str, csrf_token: str, device: Device, member: Member,
    grids: list[dict[str, Any]],
    via_cookie: bool, extra: dict[str, Any], status_code: int,
) -> JSONResponse:  # fmt: skip
    settings = settings_of(request)
    payload: dict[str, Any] = {
        "device": {
            "id": device.id,
            "label": device.label,
            "method": device.method.value,
            "shared": device.shared,
        },
        "member": {"id": member.id, "name": member.name, "role": member.role.value},
        "grids": grids,
        "csrf_token": csrf_token,
        **extra,
    }
    if not via_cookie:
        payload["token"] = token
    response = api_response(payload, status_code=status_code)
    if via_cookie:
        hours = settings.shared_session_max_hours if device.shared else settings.session_max_hours
        response.set_cookie(
            COOKIE_NAME, token, max_age=hours * 3600, path="/", httponly=True, samesite="strict",
            secure=settings.secure_cookies,
        )  # fmt: skip
    return response


async def enroll_start(request: Request) -> JSONResponse:
    payload = await _body(request)
    code = payload.get("code")
    if not isinstance(code, str):
        raise BadRequest("invalid_request", 'expected {"code": "ABCD-EFGH"}', "请填写登记码")
    answer = await enrollment.begin_enrollment(
        store_of(request), code=code, settings=settings_of(request), now=datetime.now(UTC),
        client=client_address(request),
    )  # fmt: skip
    return api_response(answer)


def _enrolled(request: Request, payload: dict[str, Any], result: enrollment.Enrollment) -> JSONResponse:
    return _signed_in(
        request, token=result.token, csrf_token=result.csrf_token, device=result.device, member=result.member,
        grids=result.grids, via_cookie=_via_cookie(payload), status_code=201,
        extra={
            "recovery_key": result.device.recovery_key,
            "lockout_key": result.lockout_key,
            "previous_recovery_key": result.previous_recovery_key,
        },
    )  # fmt: skip


async def enroll_passkey(request: Request) -> JSONResponse:
    payload = await _body(request)
    result = await enrollment.enroll_with_passkey(
        store_of(request), ceremony_id=payload.get("ceremony"), credential=payload.get("credential"),
        options=_enroll_options(request, payload), settings=settings_of(request), now=datetime.now(UTC),
    )  # fmt: skip
    return _enrolled(request, payload, result)


async def enroll_device_key(request: Request) -> JSONResponse:
    payload = await _body(request)
    result = await enrollment.enroll_with_device_key(
        store_of(request), ceremony_id=payload.get("ceremony"), public_key=payload.get("public_key"),
        signature=payload.get("signature"), options=_enroll_options(request, payload),
        settings=settings_of(request), now=datetime.now(UTC),
    )  # fmt: skip
    return _enrolled(request, payload, result)


async def login_start(request: Request) -> JSONResponse:
    payload = await _body(request)
    async with store_of(request).write() as session:
        answer = await login.start_login(
            session, device_id=payload.get("device"), settings=settings_of(request), now=datetime.now(UTC)
        )
    return api_response(answer)


def _logged_in(request: Request, payload: dict[str, Any], result: login.Login) -> JSONResponse:
    return _signed_in(
        request, token=result.token, csrf_token=result.csrf_token, device=result.device, member=result.member,
        grids=result.grids, via_cookie=_via_cookie(payload), status_code=200, extra={},
    )  # fmt: skip


async def login_passkey(request: Request) -> JSONResponse:
    payload = await _body(request)
    result = await login.login_with_passkey(
        store_of(request), ceremony_id=payload.get("ceremony"), credential=payload.get("credential"),
        via_cookie=_via_cookie(payload), client=client_address(request), settings=settings_of(request),
        now=datetime.now(UTC), proven=_proven(request),
    )  # fmt: skip
    return _logged_in(request, payload, result)


async def login_device_key(request: Request) -> JSONResponse:
    payload = await _body(request)
    result = await login.login_with_device_key(
        store_of(request), ceremony_id=payload.get("ceremony"), signature=payload.get("signature"),
        pin_proof=payload.get("pin_proof"), via_cookie=_via_cookie(payload), client=client_address(request),
        settings=settings_of(request), now=datetime.now(UTC), proven=_proven(request),
    )  # fmt: skip
    return _logged_in(request, payload, result)


async def logout(request: Request) -> Response:
    principal = await current_principal(request)
    async with store_of(request).write() as session:
        await login.logout(
            session, session_id=principal.session_id, member_id=principal.member_id,
            device_id=principal.device_id, now=datetime.now(UTC),
        )  # fmt: skip
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


async def register_pin(request: Request) -> Response:
    """Enrollment's last step for a device key: the PIN verifier its logins will be checked against."""
    principal = await current_principal(request)
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise BadRequest("invalid_request", 'expected {"verifier": "base64url"}', "请求格式错误")
    async with store_of(request).write() as session:
        await login.register_pin_verifier(
            session, device_id=principal.device_id, member_id=principal.member_id,
            verifier=payload.get("verifier"), client=client_address(request),
        )  # fmt: skip
    return Response(status_code=204)


async def lockout(request: Request) -> Response:
    payload = await _body(request)
    async with store_of(request).write() as session:
        await login.report_lockout(
            session,
            device_id=payload.get("device"),
            lockout_key=payload.get("lockout_key"),
            client=client_address(request),
            now=datetime.now(UTC),
        )
    return Response(status_code=204)


routes = [
    Route("/api/enroll/start", enroll_start, methods=["POST"]),
    Route("/api/enroll/passkey", enroll_passkey, methods=["POST"]),
    Route("/api/enroll/device-key", enroll_device_key, methods=["POST"]),
    Route("/api/login/start", login_start, methods=["POST"]),
    Route("/api/login/passkey", login_passkey, methods=["POST"]),
    Route("/api/login/device-key", login_device_key, methods=["POST"]),
    Route("/api/logout", logout, methods=["POST"]),
    Route("/api/device/pin", register_pin, methods=["POST"]),
    Route("/api/device/lockout", lockout, methods=["POST"]),
]
