"""Enrollment, the caller's profile, households and records (docs/sync-protocol.md §1, §7)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.errors import BadRequest
from server.routes.common import api_response, current_principal, read_json, store_of
from server.services.enrollment import enroll_device
from server.services.households import list_households
from server.services.members import grid_summaries
from server.services.records import get_record, record_history


async def enroll(request: Request) -> JSONResponse:
    payload = await read_json(request)
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), str):
        raise BadRequest("invalid_request", 'expected {"code": "ABCD-EFGH", "label": "..."}', "请填写登记码")
    label = payload.get("label", "")
    if not isinstance(label, str):
        raise BadRequest(
            "invalid_request", f"label must be a string, got {type(label).__name__}", "设备名称无效"
        )
    async with store_of(request).write() as session:
        enrollment = await enroll_device(
            session, code=payload["code"], label=label.strip(), now=datetime.now(UTC)
        )
    return api_response(
        {
            "token": enrollment.token,
            "device": {"id": enrollment.device.id, "label": enrollment.device.label},
            "member": {
                "id": enrollment.member.id,
                "name": enrollment.member.name,
                "role": enrollment.member.role,
            },
            "grids": enrollment.grids,
        },
        status_code=201,
    )


async def me(request: Request) -> JSONResponse:
    principal = await current_principal(request)
    async with store_of(request).read() as session:
        grids = await grid_summaries(session, principal.grid_ids)
    return api_response(
        {
            "member": {"id": principal.member_id, "name": principal.member_name, "role": principal.role},
            "device": {"id": principal.device_id, "label": principal.device_label},
            "grids": grids,
        }
    )


async def households(request: Request) -> JSONResponse:
    principal = await current_principal(request)
    async with store_of(request).read() as session:
        return api_response({"households": await list_households(session, principal)})


async def record(request: Request) -> JSONResponse:
    principal = await current_principal(request)
    async with store_of(request).read() as session:
        return api_response(await get_record(session, principal, request.path_params["record_id"]))


async def history(request: Request) -> JSONResponse:
    principal = await current_principal(request)
    async with store_of(request).read() as session:
        return api_response(await record_history(session, principal, request.path_params["record_id"]))


routes = [
    Route("/api/enroll", enroll, methods=["POST"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/households", households, methods=["GET"]),
    Route("/api/records/{record_id}", record, methods=["GET"]),
    Route("/api/records/{record_id}/history", history, methods=["GET"]),
]
