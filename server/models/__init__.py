"""SQLAlchemy models, one aggregate per module. Import from here."""

from __future__ import annotations

from server.models.area import Area, AreaLevel
from server.models.base import Base
from server.models.device import Device, EnrollmentCode
from server.models.household import Household
from server.models.member import Member, MemberGrid
from server.models.oplog import OpRow, RecordRow

__all__ = [
    "Area",
    "AreaLevel",
    "Base",
    "Device",
    "EnrollmentCode",
    "Household",
    "Member",
    "MemberGrid",
    "OpRow",
    "RecordRow",
]
