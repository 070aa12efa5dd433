"""What a coordinator's lists and exports may show of residents' contact and dispute details: one place.

The access rule (``server.services.access``) decides *which records* someone may read. This module decides,
for records they may read, how much of two kinds of personal detail a **list or an export** shows
(PIPL's minimum necessary: a list is glanced at over shoulders, an export leaves the building):

================  ==========================  ===============================================
role              phone numbers               mediation parties and summary (矛盾调解)
================  ==========================  ===============================================
grid_leader       in full (their own grids:   never in a list or an export (they read a mediation
                  they call these people)     only where they are its mediator, on its page)
community         masked ``138****5678``      in exports (coordinators with access, who report
street            masked                      upward in that form); never in lists
admin             masked                      in exports; never in lists
================  ==========================  ===============================================

A record's own page (page 2) shows everything the access rule lets the coordinator read, phone numbers in
full, and every such read is written to the audit log. Masking applies to phone fields (a household's
phone, a request's contact) and to phone numbers written into free text (a request's description, a
visit's notes), found by :data:`PHONE_PATTERN`. Lists never show mediation parties or summary: the index's
summary of a mediation is its category only (``server.domain.indexing``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from server.models import Role

__all__ = ["HIDDEN", "PHONE_PATTERN", "Masking", "mask_phone", "masking_for"]

# A mainland mobile number (11 digits from 1[3-9]) or any other run of 7+ digits (landlines, with or
# without an area code), possibly split by a space or a hyphen: what a member types after "电话".
PHONE_PATTERN: Final = re.compile(r"(?<!\d)(?:1[3-9]\d[- ]?\d{4}[- ]?\d{4}|(?:0\d{2,3}[- ]?)?\d{7,8})(?!\d)")
HIDDEN: Final = "（已隐去）"
_FULL_PHONES = frozenset({Role.GRID_LEADER})
_MEDIATION_IN_EXPORTS = frozenset({Role.COMMUNITY, Role.STREET, Role.ADMIN})


def mask_phone(number: str) -> str:
    """``13812345678`` → ``138****5678``: the first 3 and the last 4 digits, the rest as ``*``."""
    digits = [c for c in number if c.isdigit()]
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + "".join(digits[-4:]) if len(digits) > 4 else "****"
    return "".join(digits[:3]) + "*" * (len(digits) - 7) + "".join(digits[-4:])


@dataclass(frozen=True)
class Masking:
    """How one coordinator's lists and exports show personal details (see the table above)."""

    full_phones: bool
    mediation_in_exports: bool

    def phone(self, value: object) -> str:
        """A phone field's value as lists and exports show it."""
        if not isinstance(value, str) or not value:
            return ""
        return value if self.full_phones else self.text(value)

    def text(self, value: object) -> str:
        """Free text with any phone number in it masked (unless this coordinator sees phones in full)."""
        if not isinstance(value, str):
            return ""
        if self.full_phones:
            return value
        return PHONE_PATTERN.sub(lambda match: mask_phone(match.group(0)), value)

    def mediation(self, value: object) -> str:
        """A mediation's parties or summary in an export: the text, or :data:`HIDDEN`."""
        if not isinstance(value, str) or not value:
            return ""
        return self.text(value) if self.mediation_in_exports else HIDDEN


def masking_for(role: Role) -> Masking:
    return Masking(full_phones=role in _FULL_PHONES, mediation_in_exports=role in _MEDIATION_IN_EXPORTS)
