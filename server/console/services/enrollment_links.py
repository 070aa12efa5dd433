"""Enrollment links on screen: a one-time code for a member, its link ``ORIGIN/#enroll=CODE`` and the link
as a QR code (inline SVG: no request for an image, nothing of the code in any URL the server logs).

The same link serves a member's first phone and the recovery after a PIN lockout: opened on the locked
phone, the app enrolls the member again with ``previous_device`` and reopens the data kept there
(docs/sync-protocol.md §2.3–2.4). The code itself is shown once and stored only as a hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Member
from server.services.audit import audit
from server.services.enrollment import create_enrollment_code
from server.services.members import MemberError

__all__ = ["PURPOSES", "EnrollmentLink", "issue_link"]

PURPOSES = ("enroll", "recovery")


@dataclass(frozen=True)
class EnrollmentLink:
    member_id: int
    member_name: str
    purpose: str
    code: str
    link: str
    expires_at: datetime
    qr_svg: str  # markup made by segno from our own link: safe to insert as is


def qr_svg(link: str, *, label: str) -> str:
    svg: str = segno.make(link, error="m").svg_inline(
        scale=1, border=3, dark="#000", light="#fff", svgclass="qr", title=label, omitsize=True
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


async def issue_link(
    session: AsyncSession, *, member: Member, purpose: str, origin: str, ttl: timedelta, now: datetime,
    by: int | None, client: str | None,
) -> EnrollmentLink:  # fmt: skip
    """A fresh single-use code for ``member`` (who must be active); audited as ``code_issued``."""
    if purpose not in PURPOSES:
        raise MemberError(
            "invalid_request", f"purpose must be one of {PURPOSES}, got {purpose!r}", "请求无效"
        )
    if not member.active:
        raise MemberError("inactive", f"member {member.id} is deactivated", "该成员已停用")
    code, expires_at = await create_enrollment_code(session, member_id=member.id, ttl=ttl, now=now)
    await audit(session, "code_issued", member_id=member.id, client=client, purpose=purpose, by=by)
    link = f"{origin}/#enroll={code}"
    return EnrollmentLink(member.id, member.name, purpose, code, link, expires_at, qr_svg(link, label=code))
