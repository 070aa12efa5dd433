from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.db import Store
from server.models import AuditEvent, Device
from server.services.enrollment import create_enrollment_code
from server.services.members import add_member
from tests.server.conftest import ORIGIN
from tests.server.factories import DeviceKey, World, new_code
from tests.server.softauthn import SoftAuthenticator


async def enroll_device_key(
    client: httpx.AsyncClient, code: str, key: DeviceKey, **extra: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    start = await client.post("/api/enroll/start", json={"code": code})
    assert start.status_code == 200, start.text
    body = start.json()
    signature = key.sign("lianhu-enroll", ORIGIN, body["device_key"]["challenge"])
    payload = {"ceremony": body["ceremony"], "public_key": key.jwk, "signature": signature, **extra}
    # json.dumps escapes what httpx's encoder refuses (a lone surrogate), so such labels reach the server
    content = json.dumps(payload)
    headers = {"Content-Type": "application/json"}
    return await client.post("/api/enroll/device-key", content=content, headers=headers), body


async def a_member(store: Store, world: World) -> int:
    async with store.write() as session:
        return (await add_member(session, name="赵敏", area_ids=[world.grid_a])).id


async def test_enrolling_with_a_device_key_opens_a_cookie_session(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    member_id = await a_member(store, world)

    response, start = await enroll_device_key(
        client, await new_code(store, member_id), DeviceKey(), label="平板"
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert start["member"] == {"id": member_id, "name": "赵敏"}
    assert body["device"]["method"] == "device_key" and body["device"]["label"] == "平板"
    assert "token" not in body and body["csrf_token"] and len(body["recovery_key"]) == 43
    cookie = response.headers["set-cookie"]
    assert "lianhu_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # http://localhost only
    me = await client.get("/api/me")
    assert me.status_code == 200 and me.json()["member"]["id"] == member_id
    async with store.read() as session:
        kinds = (
            await session.scalars(select(AuditEvent.kind).where(AuditEvent.member_id == member_id))
        ).all()
    assert "enrolled" in kinds


async def test_a_passkey_enrollment_records_the_method(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    member_id = await a_member(store, world)
    start = (await client.post("/api/enroll/start", json={"code": await new_code(store, member_id)})).json()

    credential = SoftAuthenticator(ORIGIN).register(start["passkey"])
    response = await client.post(
        "/api/enroll/passkey",
        json={"ceremony": start["ceremony"], "credential": credential, "session": "token"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["device"]["method"] == "passkey"
    assert response.json()["token"] and "set-cookie" not in response.headers
    async with store.read() as session:
        device = await session.get(Device, response.json()["device"]["id"])
    assert device is not None and device.credential_id == credential["id"]
    assert start["passkey"]["authenticatorSelection"]["userVerification"] == "required"
    assert len(start["passkey"]["challenge"]) >= 22  # ≥ 16 bytes, base64url


async def test_a_code_is_accepted_in_lower_case_without_its_dash(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    code = await new_code(store, await a_member(store, world))

    response = await client.post("/api/enroll/start", json={"code": code.replace("-", " ").lower()})

    assert response.status_code == 200, response.text


async def test_a_code_works_only_once(client: httpx.AsyncClient, store: Store, world: World) -> None:
    code = await new_code(store, await a_member(store, world))
    first, _ = await enroll_device_key(client, code, DeviceKey())
    assert first.status_code == 201

    again = await client.post("/api/enroll/start", json={"code": code})

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_code"


async def test_two_ceremonies_racing_on_one_code_enroll_only_once(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    code = await new_code(store, await a_member(store, world))
    key = DeviceKey()
    starts = [(await client.post("/api/enroll/start", json={"code": code})).json() for _ in range(2)]

    answers = []
    for start in starts:
        signature = key.sign("lianhu-enroll", ORIGIN, start["device_key"]["challenge"])
        payload = {"ceremony": start["ceremony"], "public_key": key.jwk, "signature": signature}
        answers.append(await client.post("/api/enroll/device-key", json=payload))

    assert [a.status_code for a in answers] == [201, 400]
    assert answers[1].json()["error"]["code"] == "invalid_code"


async def test_an_expired_code_is_refused_like_an_unknown_one(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    member_id = await a_member(store, world)
    async with store.write() as session:
        code, _ = await create_enrollment_code(
            session, member_id=member_id, ttl=timedelta(seconds=-1), now=datetime.now(UTC)
        )

    expired = await client.post("/api/enroll/start", json={"code": code})
    unknown = await client.post("/api/enroll/start", json={"code": "ABCD-EFGH"})

    assert expired.status_code == unknown.status_code == 400
    assert expired.json() == unknown.json()


async def test_refused_codes_are_audited_with_why_but_not_the_code(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    member_id = await a_member(store, world)
    used = await new_code(store, member_id)
    assert (await enroll_device_key(client, used, DeviceKey()))[0].status_code == 201

    answers = [await client.post("/api/enroll/start", json={"code": c}) for c in ("ABCD-EFGH", used)]

    assert {a.json()["error"]["code"] for a in answers} == {"invalid_code"}
    assert answers[0].json() == answers[1].json()  # the caller learns nothing from the difference
    async with store.read() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.kind == "enroll_code_refused").order_by(AuditEvent.id)
            )
        ).all()
    assert [(e.member_id, e.detail["reason"], e.client) for e in events] == [
        (None, "unknown", "127.0.0.1"),
        (member_id, "used", "127.0.0.1"),
    ]
    assert not any("ABCD" in str(e.detail) or used in str(e.detail) for e in events)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b'["ABCD-EFGH"]', "application/json", 400, "invalid_request"),
        (b'{"code": 7}', "application/json", 400, "invalid_request"),
        (b'{"code": "ABCD-EFGH"}', "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["malformed", "not-an-object", "code-not-string", "wrong-content-type"],
)
async def test_bad_enrollment_requests_get_a_clear_error(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = await client.post("/api/enroll/start", content=content, headers={"Content-Type": content_type})

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_zh"]


@pytest.mark.parametrize("label", ["平板\x00", "平板\ud800"], ids=["U+0000", "lone-surrogate"])
async def test_a_device_label_no_store_can_hold_is_refused_and_stores_no_device(
    client: httpx.AsyncClient, store: Store, world: World, label: str
) -> None:
    member_id = await a_member(store, world)

    response, _ = await enroll_device_key(client, await new_code(store, member_id), DeviceKey(), label=label)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    async with store.read() as session:
        assert not (await session.scalars(select(Device).where(Device.member_id == member_id))).all()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic abc", "Bearer not-a-real-token"],
    ids=["missing", "empty-bearer", "wrong-scheme", "unknown-token"],
)
async def test_api_calls_without_a_valid_session_are_unauthenticated(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await client.get("/api/me", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_re_enrolling_after_a_lockout_returns_the_previous_recovery_key_to_the_same_member_only(
    client: httpx.AsyncClient, store: Store, world: World
) -> None:
    first, _ = await enroll_device_key(client, await new_code(store, world.alice.member_id), DeviceKey())
    old = first.json()
    await client.post(
        "/api/device/lockout", json={"device": old["device"]["id"], "lockout_key": old["lockout_key"]}
    )

    mine, _ = await enroll_device_key(
        client, await new_code(store, world.alice.member_id), DeviceKey(), previous_device=old["device"]["id"]
    )
    theirs, _ = await enroll_device_key(
        client, await new_code(store, world.bob.member_id), DeviceKey(), previous_device=world.alice.device_id
    )

    assert mine.json()["previous_recovery_key"] == old["recovery_key"]
    assert theirs.json()["previous_recovery_key"] is None
