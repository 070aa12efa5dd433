"""SQLAlchemy models, one aggregate per module. Import from here."""

from __future__ import annotations

from server.models.area import Area, AreaLevel, ScopeGeneration
from server.models.audit import AuditEvent
from server.models.auth_state import Ceremony, Session
from server.models.base import Base
from server.models.device import AuthMethod, Device, EnrollmentCode
from server.models.erasure import ErasureEntry
from server.models.household import Household
from server.models.liaison import LiaisonLink
from server.models.member import Assignment, Member, Role
from server.models.oplog import OpRow, RecordAccess, RecordRow
from server.models.projections import RequestFacts, WorkEvent

__all__ = [
    "Area",
    "AreaLevel",
    "Assignment",
    "AuditEvent",
    "AuthMethod",
    "Base",
    "Ceremony",
    "Device",
    "EnrollmentCode",
    "ErasureEntry",
    "Household",
    "LiaisonLink",
    "Member",
    "OpRow",
    "RecordAccess",
    "RecordRow",
    "RequestFacts",
    "Role",
    "ScopeGeneration",
    "Session",
    "WorkEvent",
]
