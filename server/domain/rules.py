"""``check_op``: does an op keep its record type's rules, given the record as it stands and who sends it?

The merge library accepts any field and any JSON; what a record type may hold is declared in
``record-types.json`` (server/domain/declaration.py). This module applies the declaration to one op:

- the type exists; every field or log the op names is declared and its value passes the field's rule;
- fields restricted to some roles (a household's care level, its curtain-round flag) are written only by
  those roles; a workflow step (a request's 转办) is recorded only by the roles its stage names, with the
  entry keys the stage requires;
- a record whose id is derived (``id_from``) carries exactly that id;
- the record must exist before it is edited: an op on a record the server does not have that does not
  itself set every required field is ``not_created_yet``. That answer does not depend on arrival order in
  the end: push applies a batch in stamp order, so a create later in the same batch still comes first,
  and a client keeps a ``not_created_yet`` op pending and sends it again after the create
  (docs/sync-protocol.md §4).

Whether member ids name real members is a database question: push checks ``member_ids`` afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping

import fastjsonschema

from server.domain.declaration import RECORD_TYPES, FieldSpec, RecordType
from server.domain.ids import derived_record_id
from server.models import Role
from sync import JSON, Op, RecordState

__all__ = ["FieldRuleError", "check_op", "member_ids", "record_type_of"]


class FieldRuleError(ValueError):
    """An op breaks a record-type rule; ``code`` is the push rejection code."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh


def record_type_of(op: Op) -> RecordType:
    record_type = RECORD_TYPES.get(op.type)
    if record_type is None:
        raise FieldRuleError(
            "unknown_type",
            f"unknown record type {op.type!r}; known: {sorted(RECORD_TYPES)}",
            "未知的记录类型",
        )
    return record_type


def _check_value(op: Op, spec: FieldSpec, value: JSON, what: str) -> None:
    try:
        spec.validate(value)
    except fastjsonschema.JsonSchemaValueException as error:
        problem = error.message.replace("data", what, 1)
        raise FieldRuleError(
            "invalid_value", f"{op.type}.{problem}, got {value!r}"[:500], f"{what} 的值不合规"
        ) from None
    if spec.holds_members and isinstance(value, list) and not all(type(v) is int for v in value):
        raise FieldRuleError(
            "invalid_value",
            f"{op.type}.{what} must hold member ids (integers), got {value!r}",
            "人员编号无效",
        )


def _check_role(op: Op, spec: FieldSpec, role: Role) -> None:
    if spec.roles is not None and role not in spec.roles:
        allowed = sorted(r.value for r in spec.roles)
        raise FieldRuleError(
            "field_not_allowed",
            f"{op.type}.{spec.name} may be written only by {allowed}; you are {role.value!r}",
            f"您的角色不能修改「{spec.label.get('zh-CN', spec.name)}」",
        )


def _check_set(op: Op, record_type: RecordType, role: Role) -> None:
    assert op.fields is not None
    for name, value in op.fields.items():
        spec = record_type.fields.get(name)
        if spec is None:
            raise FieldRuleError(
                "invalid_field",
                f"{op.type} has no field {name!r}; fields: {sorted(record_type.fields)}",
                f"字段 {name} 不存在",
            )
        _check_value(op, spec, value, name)
        _check_role(op, spec, role)


def _check_append(op: Op, record_type: RecordType, role: Role) -> None:
    assert op.field is not None
    spec = record_type.logs.get(op.field)
    if spec is None:
        raise FieldRuleError(
            "invalid_field",
            f"{op.type} has no log {op.field!r}; logs: {sorted(record_type.logs)}",
            f"字段 {op.field} 不存在",
        )
    _check_value(op, spec, op.value, f"{op.field} entry")
    _check_role(op, spec, role)
    workflow = record_type.workflow
    if workflow is None or workflow.log != op.field:
        return
    assert isinstance(op.value, dict)
    stage = workflow.stages[str(op.value[workflow.key])]
    if role not in stage.roles:
        raise FieldRuleError(
            "step_not_allowed",
            f"a {op.type} step {stage.name!r} may be recorded only by "
            f"{sorted(r.value for r in stage.roles)}; you are {role.value!r}",
            f"您的角色不能办理「{stage.label.get('zh-CN', stage.name)}」这一步",
        )
    missing = [key for key in stage.requires if key not in op.value]
    if stage.requires_one_of and not any(key in op.value for key in stage.requires_one_of):
        missing.append(" or ".join(stage.requires_one_of))
    if missing:
        raise FieldRuleError(
            "invalid_value", f"a {op.type} step {stage.name!r} must carry {missing}", "办理步骤缺少必填内容"
        )


def _check_id(op: Op, record_type: RecordType, values: Mapping[str, JSON]) -> None:
    if record_type.id_from is None:
        return
    parts = [op.household if part == "household" else values.get(part) for part in record_type.id_from]
    if not all(isinstance(part, str) for part in parts):
        return  # not known yet: the op that sets them is checked
    expected = derived_record_id(op.type, [str(part) for part in parts])
    if op.record != expected:
        shown = dict(zip(record_type.id_from, parts, strict=True))
        raise FieldRuleError(
            "invalid_value",
            f"a {op.type} record about {shown} has the id {expected}; the op says {op.record}",
            "记录编号与住户、日期不符",
        )


def check_op(op: Op, *, state: RecordState | None, role: Role) -> None:
    """Raise :class:`FieldRuleError` if ``op`` breaks a rule of its type, for a caller with ``role``,
    applied to ``state`` (``None``: the record does not exist yet)."""
    record_type = record_type_of(op)
    if op.kind == "set":
        _check_set(op, record_type, role)
    elif op.kind == "append":
        _check_append(op, record_type, role)
    values: dict[str, JSON] = state.values() if state is not None else {}
    values.update(op.fields or {})
    _check_id(op, record_type, values)
    if state is None:
        missing = [name for name in record_type.required if name not in (op.fields or {})]
        if missing or (op.kind != "set" and record_type.required):
            raise FieldRuleError(
                "not_created_yet",
                f"record {op.record} does not exist yet and this op does not create it "
                f"(the first op of a {op.type} must set {list(record_type.required)}); "
                "keep it and send it again after the op that creates the record",
                "记录尚未建立，稍后会自动重新提交",
            )


def member_ids(op: Op) -> frozenset[int]:
    """The member ids an op names — in member-id fields, or as the member a workflow step goes to — to
    check that they exist."""
    record_type = RECORD_TYPES.get(op.type)
    if record_type is None:
        return frozenset()
    named: set[int] = set()
    if op.kind == "set" and op.fields is not None:
        for name in record_type.member_fields:
            value = op.fields.get(name)
            if isinstance(value, list):
                named.update(v for v in value if type(v) is int)
    elif op.kind == "append" and isinstance(op.value, dict):
        to_member = op.value.get("to_member")
        if type(to_member) is int:
            named.add(to_member)
    return frozenset(named)
