"""The authenticated caller of an API request: resolved from the session cookie or a bearer token.

This is the one place that decides who is calling. Everything the server later decides about authorship and
scope starts from the :class:`Principal` built here, never from what the client says about itself.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.sessions import resolve_session
from server.errors import ApiError, Unauthenticated
from server.models import Role
from server.services.scope import GraceWindow, ScopeCache, member_scope

__all__ = ["CsrfFailed", "Principal", "authenticate"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(ApiError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "csrf_failed",
            "a cookie-authenticated change needs the X-CSRF-Token header of this session",
            "请求校验失败，请刷新后重试",
        )


@dataclass(frozen=True)
class Principal:
    """A member acting through one enrolled device. ``grid_ids`` is the member's current scope;
    ``ended_assignments`` the grids of their ended assignments, for the reassignment grace policy."""

    member_id: int
    member_name: str
    role: Role
    device_id: str
    device_label: str
    device_method: str
    device_shared: bool
    session_id: int
    csrf_token: str
    session_last_seen: datetime
    grid_ids: frozenset[int]
    ended_assignments: tuple[GraceWindow, ...]

    @property
    def is_coordinator(self) -> bool:
        return self.role.is_coordinator


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("malformed Authorization header; expected 'Bearer <token>'")
    return token.strip()


async def authenticate(
    session: AsyncSession,
    *,
    method: str,
    cookie: str | None,
    authorization: str | None,
    csrf_header: str | None,
    now: datetime,
    scopes: ScopeCache | None = None,
) -> Principal:
    """Resolve the caller; raise ``unauthenticated`` (401) or ``csrf_failed`` (403).

    With ``scopes`` (the store's cache) the member's scope costs no query while it has not changed.
    """
    bearer = _bearer(authorization)
    token = bearer or cookie
    if not token:
        raise Unauthenticated("no session: log in (cookie) or send 'Authorization: Bearer <token>'")
    found = await resolve_session(session, token, now=now)
    if found is None:
        raise Unauthenticated("the session has ended or expired; log in again")
    live, device, member, generation = found
    # A cookie rides along on cross-site requests; a bearer header never does. Only cookies need CSRF proof.
    needs_csrf = bearer is None and method not in SAFE_METHODS
    if needs_csrf and not (csrf_header and hmac.compare_digest(csrf_header, live.csrf_token)):
        raise CsrfFailed()
    scope = (
        await scopes.get(session, member_id=member.id, role=member.role, generation=generation)
        if scopes is not None and generation is not None
        else await member_scope(session, member_id=member.id, role=member.role)
    )
    return Principal(
        member_id=member.id,
        member_name=member.name,
        role=member.role,
        device_id=device.id,
        device_label=device.label,
        device_method=device.method.value,
        device_shared=device.shared,
        session_id=live.id,
        csrf_token=live.csrf_token,
        session_last_seen=live.last_seen_at,
        grid_ids=scope.grid_ids,
        ended_assignments=scope.ended,
    )
