"""Record types by name, and who a restricted record names as its readers.

The types themselves are declared in ``record-types.json`` (see ``server.domain.declaration``); the rules
an op must keep are applied by ``server.domain.rules.check_op``. This module is the short import for code
that only needs to look a type up.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.domain.declaration import RECORD_TYPES, RecordType
from server.domain.rules import FieldRuleError

__all__ = ["RECORD_TYPES", "FieldRuleError", "RecordType", "readers"]


def readers(record_type: RecordType, values: Mapping[str, object]) -> frozenset[int]:
    """The member ids a restricted record names as its readers (e.g. its mediators)."""
    return record_type.readers(values)
