"""Writing the audit log (``audit_log``): who did what security-relevant thing, when, from where."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEvent
from server.models.base import utcnow

__all__ = ["KINDS", "audit"]

# Every kind of event, so that docs/security.md and the tests can list them.
KINDS = (
    "enrolled",
    "enroll_failed",
    "enroll_code_refused",
    "login",
    "login_failed",
    "counter_regression",
    "logout",
    "pin_registered",
    "pin_failed",
    "pin_lockout",
    "device_revoked",
    "member_moved",
    "member_deactivated",
    "member_added",
    "assignment_added",
    "assignment_ended",
    "code_issued",
    "liaison_linked",
    "liaison_unlinked",
    "op_rejected",
    "curtain_deadline_set",
    "export",
    "record_viewed",
    "household_viewed",
    # PIPL (issue 9): reads of personal data through the API (server/services/read_audit.py) …
    "households_listed",
    "record_read",
    "history_read",
    "ops_pulled",
    # … and residents' requests and erasures (server/services/resident.py, retention.py, erasure.py)
    "resident_exported",
    "resident_erased",
    "retention_erased",
    "erasures_reapplied",
)


async def audit(
    session: AsyncSession,
    kind: str,
    *,
    member_id: int | None = None,
    device_id: str | None = None,
    client: str | None = None,
    **detail: object,
) -> None:
    """Append one event. ``detail`` must not carry sensitive content (no notes, no names of residents)."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}; add it to KINDS")
    session.add(
        AuditEvent(
            at=utcnow(), kind=kind, member_id=member_id, device_id=device_id, client=client, detail=detail
        )
    )
