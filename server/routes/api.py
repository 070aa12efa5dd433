"""The caller's profile, members, households and records (docs/sync-protocol.md §8)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.auth.principal import Principal
from server.routes.common import api_response, client_address, reading_as_caller, settings_of, store_of
from server.services.cursors import CursorBox
from server.services.field_rules import field_rules
from server.services.households import household_page, list_households, parse_household_limit
from server.services.members import grid_summaries, visible_members
from server.services.read_audit import audit_read
from server.services.records import get_record, record_history


async def me(request: Request) -> JSONResponse:
    async with reading_as_caller(request) as (principal, session):
        grids = await grid_summaries(session, principal.grid_ids)
        rules = await field_rules(session, principal.grid_ids, settings_of(request))
    return api_response(
        {
            "member": {
                "id": principal.member_id,
                "name": principal.member_name,
                "role": principal.role.value,
            },
            "device": {
                "id": principal.device_id,
                "label": principal.device_label,
                "method": principal.device_method,
                "shared": principal.device_shared,
            },
            "grids": grids,
            "rules": rules,
            "csrf_token": principal.csrf_token,
        }
    )


async def members(request: Request) -> JSONResponse:
    async with reading_as_caller(request) as (principal, session):
        return api_response({"members": await visible_members(session, principal.grid_ids)})


async def households(request: Request) -> JSONResponse:
    """Pages of the households changed since a cursor when ``after`` or ``limit`` is given; without either,
    the whole list in one answer, as version-1 clients expect it (docs/sync-protocol.md §8)."""
    params = request.query_params
    whole_list = "after" not in params and "limit" not in params
    async with reading_as_caller(request) as (principal, session):
        if whole_list:
            listed = await list_households(session, principal)
        else:
            cursors: CursorBox = request.app.state.cursors
            position = cursors.open_households(params.get("after"))
            limit = parse_household_limit(params.get("limit"))
            page = await household_page(session, principal, position, limit=limit)
    if whole_list:
        if listed:
            _audited(request, principal, "households_listed", households=len(listed))
        return api_response({"households": listed})
    if page.households:
        _audited(request, principal, "households_listed", households=len(page.households))
    return api_response(
        {
            "households": page.households,
            "cursor": cursors.seal_households(page.next),
            "more": page.more,
            "scope": {"grids": sorted(principal.grid_ids)},
        }
    )


async def record(request: Request) -> JSONResponse:
    async with reading_as_caller(request) as (principal, session):
        found = await get_record(session, principal, request.path_params["record_id"])
    _audited(request, principal, "record_read", **_which(found))
    return api_response(found)


async def history(request: Request) -> JSONResponse:
    async with reading_as_caller(request) as (principal, session):
        found = await record_history(session, principal, request.path_params["record_id"])
    _audited(request, principal, "history_read", **_which(found), ops=len(found["ops"]))
    return api_response(found)


def _audited(request: Request, principal: Principal, kind: str, **detail: object) -> None:
    """PIPL: a read of personal data is audited, as counts and ids, never the data (read_audit.py)."""
    audit_read(store_of(request), principal, kind, client=client_address(request), **detail)


def _which(found: dict[str, Any]) -> dict[str, str]:
    return {"record": found["record"]["id"], "type": found["record"]["type"]}


routes = [
    Route("/api/me", me, methods=["GET"]),
    Route("/api/members", members, methods=["GET"]),
    Route("/api/households", households, methods=["GET"]),
    Route("/api/records/{record_id}", record, methods=["GET"]),
    Route("/api/records/{record_id}/history", history, methods=["GET"]),
]
