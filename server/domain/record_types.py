"""Record types and the rules for their fields, checked on every pushed op.

The merge library (``sync``) is generic: any field name, any JSON value. What a ``visit`` may contain is a
domain rule and lives here. docs/sync-protocol.md §3.4 documents the same table for client authors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sync import Op

__all__ = ["RECORD_TYPES", "VISIT_ITEMS", "FieldRuleError", "RecordType", "validate_op"]

JSON = object
Rule = Callable[[JSON], str | None]  # returns why the value is wrong, or None

# 四到户: the four things a home visit can bring to the door.
VISIT_ITEMS = ("policy", "safety", "care", "opinions")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldRuleError(ValueError):
    """An op breaks a record-type rule; ``code`` is the push rejection code."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh


def _date(value: JSON) -> str | None:
    from datetime import date

    if not isinstance(value, str) or not _DATE.match(value):
        return f"must be a date YYYY-MM-DD, got {value!r}"
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"is not a calendar date: {value!r}"
    return None


def _text(max_chars: int, *, nullable: bool = True) -> Rule:
    def rule(value: JSON) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            return f"must be a string{' or null' if nullable else ''}, got {type(value).__name__}"
        if len(value) > max_chars:
            return f"must be at most {max_chars} characters, got {len(value)}"
        return None

    return rule


def _subset_of(allowed: tuple[str, ...]) -> Rule:
    def rule(value: JSON) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"must be a list of codes from {list(allowed)}, got {value!r}"
        unknown = [v for v in value if v not in allowed]
        if unknown:
            return f"has unknown codes {unknown}; allowed: {list(allowed)}"
        if len(set(value)) != len(value):
            return f"has repeated codes: {value!r}"
        return None

    return rule


def _one_of(allowed: tuple[str, ...], *, nullable: bool = True) -> Rule:
    def rule(value: JSON) -> str | None:
        if value is None and nullable:
            return None
        if value not in allowed:
            return f"must be one of {list(allowed)}, got {value!r}"
        return None

    return rule


def _member_ids(value: JSON) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        return f"must be a list of member ids (positive integers), got {value!r}"
    if len(set(value)) != len(value) or not 1 <= len(value) <= 20:
        return f"must name 1 to 20 distinct members, got {value!r}"
    return None


def _dated_note(value: JSON) -> str | None:
    if not isinstance(value, dict) or set(value) != {"date", "notes"}:
        return f'must be {{"date": "YYYY-MM-DD", "notes": "..."}}, got {value!r}'
    return _date(value["date"]) or _text(5000, nullable=False)(value["notes"])


@dataclass(frozen=True)
class RecordType:
    name: str
    fields: Mapping[str, Rule]
    logs: Mapping[str, Rule]
    required_on_create: tuple[str, ...]
    # Restricted records are readable only by the members in ``readers_field``, their creator and the
    # coordinators above the grid (docs/sync-protocol.md §3.4).
    readers_field: str | None = None

    @property
    def restricted(self) -> bool:
        return self.readers_field is not None


RECORD_TYPES: Mapping[str, RecordType] = {
    "visit": RecordType(
        name="visit",  # 走访
        fields={
            "date": _date,
            "items": _subset_of(VISIT_ITEMS),
            "notes": _text(5000),
            "request": _text(2000),
        },
        logs={},
        required_on_create=("date",),
    ),
    "mediation": RecordType(
        name="mediation",  # 矛盾调解
        fields={
            "category": _one_of(("neighbour", "family", "property", "other"), nullable=False),
            "parties": _text(500),
            "summary": _text(5000),
            "mediators": _member_ids,
            "outcome": _one_of(("ongoing", "agreed", "not_agreed")),
        },
        logs={"sessions": _dated_note, "followups": _dated_note},
        required_on_create=("category", "mediators"),
        readers_field="mediators",
    ),
}


def validate_op(op: Op, *, creates_record: bool) -> None:
    """Check ``op`` against its record type's rules; raise :class:`FieldRuleError` if it breaks one."""
    record_type = RECORD_TYPES.get(op.type)
    if record_type is None:
        raise FieldRuleError(
            "unknown_type",
            f"unknown record type {op.type!r}; known: {sorted(RECORD_TYPES)}",
            "未知的记录类型",
        )
    if op.kind == "set":
        assert op.fields is not None
        for name, value in op.fields.items():
            rule = record_type.fields.get(name)
            if rule is None:
                raise FieldRuleError(
                    "invalid_field",
                    f"{op.type} has no field {name!r}; fields: {sorted(record_type.fields)}",
                    f"字段 {name} 不存在",
                )
            problem = rule(value)
            if problem:
                raise FieldRuleError(
                    "invalid_value", f"{op.type}.{name} {problem}", f"字段 {name} 的值不合规"
                )
    elif op.kind == "append":
        assert op.field is not None
        log_rule = record_type.logs.get(op.field)
        if log_rule is None:
            raise FieldRuleError(
                "invalid_field",
                f"{op.type} has no log {op.field!r}; logs: {sorted(record_type.logs)}",
                f"字段 {op.field} 不存在",
            )
        problem = log_rule(op.value)
        if problem:
            raise FieldRuleError("invalid_value", f"{op.type}.{op.field} entry {problem}", "追加内容不合规")
    if creates_record:
        present = set(op.fields or {}) if op.kind == "set" else set()
        missing = [name for name in record_type.required_on_create if present.isdisjoint({name})]
        if missing:
            raise FieldRuleError(
                "invalid_value",
                f"the first op of a {op.type} must set {missing}",
                f"新建记录缺少必填字段 {', '.join(missing)}",
            )


def readers(record_type: RecordType, values: Mapping[str, object]) -> frozenset[int]:
    """The member ids a restricted record names as its readers (e.g. its mediators)."""
    if record_type.readers_field is None:
        return frozenset()
    value = values.get(record_type.readers_field)
    return frozenset(v for v in value if isinstance(v, int)) if isinstance(value, list) else frozenset()
