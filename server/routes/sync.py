"""``/api/sync/push`` and ``/api/sync/pull`` (docs/sync-protocol.md §4–5; the snapshot: §5.1)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth.principal import Principal
from server.domain.indexing import LOCAL_TZ
from server.errors import BadRequest, PayloadTooLarge
from server.routes.common import (
    api_response,
    client_address,
    current_principal,
    now_ms,
    read_json,
    reading_as_caller,
    settings_of,
    store_of,
)
from server.services.cursors import CursorBox
from server.services.pull import parse_limit, parse_snapshot, pull_ops, snapshot_page, start_snapshot
from server.services.push import PushLimits, PushResult, prepare_ops, push_ops
from server.services.read_audit import audit_read


async def push(request: Request) -> JSONResponse:
    principal = await current_principal(request)
    settings = settings_of(request)
    payload = await read_json(request)
    if not isinstance(payload, dict) or not isinstance(payload.get("ops"), list):
        raise BadRequest("invalid_request", 'expected a JSON object {"ops": [...]}', "请求应包含 ops 列表")
    raw_ops = payload["ops"]
    if len(raw_ops) > settings.max_batch_ops:
        raise PayloadTooLarge(
            "too_many_ops",
            f"{len(raw_ops)} ops in one push; the limit is {settings.max_batch_ops}",
            "单次提交的数据过多",
        )
    limits = PushLimits(
        max_op_bytes=settings.max_op_bytes,
        max_clock_ahead_ms=settings.max_clock_ahead_seconds * 1000,
        grace_days=settings.reassignment_grace_days,
    )
    # The pure work (parsing, canonical form, digests) happens before the write lock is taken.
    prepared = prepare_ops(raw_ops, max_op_bytes=limits.max_op_bytes)
    client = client_address(request)

    async def store(session: AsyncSession) -> list[PushResult]:
        return await push_ops(session, principal, prepared, limits=limits, now_ms=now_ms(), client=client)

    results = await store_of(request).write_grouped(store)
    # write_grouped returns once the transaction holding this push has committed: only now is it safe
    # to answer.
    return api_response({"results": [result.to_json() for result in results]})


async def pull(request: Request) -> Response:
    cursors: CursorBox = request.app.state.cursors
    async with reading_as_caller(request) as (principal, session):
        position = cursors.open_pull(request.query_params.get("after"))
        limit = parse_limit(request.query_params.get("limit"))
        snapshot = parse_snapshot(request.query_params.get("snapshot"))
        if position == 0 and snapshot:
            today = datetime.now(LOCAL_TZ).date()
            position = await start_snapshot(session, principal, today=today)
        if isinstance(position, int):
            page = await pull_ops(session, principal, after=position, limit=limit)
        else:
            snap = await snapshot_page(session, principal, position, limit=limit)
    scope = {"grids": sorted(principal.grid_ids)}
    if isinstance(position, int):
        _audited(request, principal, ops=len(page.ops), records=page.records)
        rest = {"cursor": cursors.seal(page.last_seq), "more": page.more, "scope": scope, "drop": page.drop}
        return _with_raw("ops", page.ops, {**rest, "server_time": now_ms()})
    _audited(request, principal, ops=0, records=len(snap.records))
    following = snap.next
    cursor = cursors.seal(following) if isinstance(following, int) else cursors.seal_snapshot(following)
    return _with_raw(
        "records",
        snap.records,
        {
            "ops": [],
            "cursor": cursor,
            "more": True,
            "scope": scope,
            "drop": [],
            "snapshot": {"phase": snap.phase, "next": snap.next_phase, "total": snap.total},
            "server_time": now_ms(),
        },
    )


def _with_raw(key: str, items: list[str], rest: dict[str, Any]) -> Response:
    """A pull page whose ``key`` holds items that are JSON text already — the ops (spliced from their stored
    bodies, server.services.records.op_text) or a snapshot's record states (canonical JSON, written by
    sync.state_to_storage) — put into the answer without being parsed and encoded again."""
    envelope = json.dumps(rest, ensure_ascii=False, separators=(",", ":"))
    body = f'{{"{key}":[' + ",".join(items) + "]," + envelope[1:]
    return Response(body.encode("utf-8"), media_type="application/json")


def _audited(request: Request, principal: Principal, *, ops: int, records: int) -> None:
    """PIPL: a pull that read anything is audited, as counts — never the data (services/read_audit.py)."""
    if ops or records:
        store = store_of(request)
        audit_read(store, principal, "ops_pulled", client=client_address(request), ops=ops, records=records)


routes = [
    Route("/api/sync/push", push, methods=["POST"]),
    Route("/api/sync/pull", pull, methods=["GET"]),
]
