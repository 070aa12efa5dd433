from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.db import Store
from server.models import Area, AreaLevel
from server.services.enrollment import create_enrollment_code
from server.services.members import add_member


async def _member_with_code(store: Store, *, ttl: timedelta = timedelta(hours=24)) -> tuple[int, str]:
    async with store.write() as session:
        street = Area(level=AreaLevel.STREET, name="街道", code="S")
        session.add(street)
        await session.flush()
        community = Area(level=AreaLevel.COMMUNITY, name="社区", code="S-1", parent_id=street.id)
        session.add(community)
        await session.flush()
        grid = Area(level=AreaLevel.GRID, name="第1网格", code="S-1-1", parent_id=community.id)
        session.add(grid)
        await session.flush()
        member = await add_member(session, name="李华", grid_ids=[grid.id])
        code, _ = await create_enrollment_code(session, member_id=member.id, ttl=ttl, now=datetime.now(UTC))
        return member.id, code


async def test_enrolling_with_a_code_returns_a_device_token_that_authenticates(
    client: httpx.AsyncClient, store: Store
) -> None:
    member_id, code = await _member_with_code(store)

    response = await client.post("/api/enroll", json={"code": code, "label": "李华的手机"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["member"] == {"id": member_id, "name": "李华", "role": "member"}
    assert body["device"]["label"] == "李华的手机"
    assert len(body["device"]["id"]) == 16
    assert body["grids"] == [
        {"id": body["grids"][0]["id"], "name": "第1网格", "community": "社区", "street": "街道"}
    ]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["device"]["id"] == body["device"]["id"]
    assert isinstance(me.json()["server_time"], int)


async def test_a_code_is_accepted_in_lower_case_without_its_dash(
    client: httpx.AsyncClient, store: Store
) -> None:
    _, code = await _member_with_code(store)

    response = await client.post("/api/enroll", json={"code": code.replace("-", " ").lower()})

    assert response.status_code == 201, response.text


async def test_a_code_works_only_once(client: httpx.AsyncClient, store: Store) -> None:
    _, code = await _member_with_code(store)
    assert (await client.post("/api/enroll", json={"code": code})).status_code == 201

    again = await client.post("/api/enroll", json={"code": code})

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_code"


async def test_an_expired_code_is_refused_like_an_unknown_one(
    client: httpx.AsyncClient, store: Store
) -> None:
    _, code = await _member_with_code(store, ttl=timedelta(seconds=-1))

    expired = await client.post("/api/enroll", json={"code": code})
    unknown = await client.post("/api/enroll", json={"code": "ABCD-EFGH"})

    assert expired.status_code == unknown.status_code == 400
    assert expired.json() == unknown.json()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b'["ABCD-EFGH"]', "application/json", 400, "invalid_request"),
        (b'{"code": "ABCD-EFGH", "label": 7}', "application/json", 400, "invalid_request"),
        (b'{"code": "ABCD-EFGH"}', "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["malformed", "not-an-object", "label-not-string", "wrong-content-type"],
)
async def test_bad_enrollment_requests_get_a_clear_error(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = await client.post("/api/enroll", content=content, headers={"Content-Type": content_type})

    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_zh"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic abc", "Bearer not-a-real-token"],
    ids=["missing", "empty-bearer", "wrong-scheme", "unknown-token"],
)
async def test_api_calls_without_a_valid_token_are_unauthenticated(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await client.get("/api/me", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
