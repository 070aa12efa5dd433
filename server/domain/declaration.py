"""Record types, read from their one declaration (``server/domain/record-types.json``).

The file is data: each type's fields (a JSON Schema value rule each, who may write it, whether it holds
member ids or sensitive personal information), its logs (a rule per entry), what the first op must set,
whether it is restricted (and which field names its readers), how its id is derived, and its workflow
(stages, which roles may record each, and the due times between them). The same file is served to the
PWA (``/record-types.json``) and is the source of docs/sync-protocol.md §3.4.

Value rules are compiled once, with ``fastjsonschema``, when this module is imported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import fastjsonschema

from server.domain.schema_subset import FORMATS, check_subset
from server.models import Role

__all__ = [
    "DECLARATION",
    "DECLARATION_PATH",
    "RECORD_TYPES",
    "FieldSpec",
    "LogSpec",
    "RecordType",
    "Stage",
    "Workflow",
]

DECLARATION_PATH: Final = Path(__file__).resolve().parent / "record-types.json"

Validator = Callable[[Any], Any]  # raises fastjsonschema.JsonSchemaValueException


def _compile(schema: dict[str, Any], where: str) -> Validator:
    check_subset(schema, where)
    validator: Validator = fastjsonschema.compile(schema, formats=dict(FORMATS))
    return validator


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record type (a last-writer-wins register) or one log (its entries' rule)."""

    name: str
    schema: dict[str, Any]
    validate: Validator
    roles: frozenset[Role] | None  # None: anyone who may write the record
    holds_members: bool  # its value is a list of member ids, each checked to exist
    sensitive: str | None  # PIPL category ("health", "dispute", "income", "contact", "identity")
    label: Mapping[str, str]


LogSpec = FieldSpec


@dataclass(frozen=True)
class Stage:
    name: str
    roles: frozenset[Role]
    requires: tuple[str, ...]  # entry keys this step must carry
    requires_one_of: tuple[str, ...]  # … at least one of these
    label: Mapping[str, str]


@dataclass(frozen=True)
class Workflow:
    """Progress as an add-only log of steps; the stage is derived from it (server/domain/workflow.py)."""

    log: str
    key: str
    stages: Mapping[str, Stage]  # in order
    closed_when: Mapping[str, Any]
    due: Mapping[str, tuple[str, int]]  # stage -> (the stage it counts from, days)


@dataclass(frozen=True)
class RecordType:
    name: str
    label: Mapping[str, str]
    fields: Mapping[str, FieldSpec]
    logs: Mapping[str, LogSpec]
    required: tuple[str, ...]
    readers_field: str | None  # restricted records: the field that names who may read them
    id_from: tuple[str, ...] | None  # derived record id (server/domain/ids.py)
    workflow: Workflow | None

    @property
    def restricted(self) -> bool:
        return self.readers_field is not None

    @cached_property  # asked twice for every op a push checks
    def member_fields(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.fields.items() if spec.holds_members)

    def readers(self, values: Mapping[str, object]) -> frozenset[int]:
        """The member ids a restricted record names as its readers (e.g. its mediators)."""
        if self.readers_field is None:
            return frozenset()
        value = values.get(self.readers_field)
        if not isinstance(value, list):
            return frozenset()
        return frozenset(v for v in value if isinstance(v, int) and not isinstance(v, bool))


def _roles(spec: Any, groups: Mapping[str, list[str]], where: str) -> frozenset[Role]:
    names = groups[spec] if isinstance(spec, str) else spec
    try:
        return frozenset(Role(name) for name in names)
    except (ValueError, TypeError):
        raise ValueError(f"{where}: roles {spec!r} name an unknown role or group") from None


def _field(name: str, spec: dict[str, Any], groups: Mapping[str, list[str]], where: str) -> FieldSpec:
    return FieldSpec(
        name=name,
        schema=spec["schema"],
        validate=_compile(spec["schema"], where),
        roles=_roles(spec["roles"], groups, where) if "roles" in spec else None,
        holds_members=bool(spec.get("members", False)),
        sensitive=spec.get("sensitive"),
        label=spec.get("label", {}),
    )


def _workflow(spec: dict[str, Any], groups: Mapping[str, list[str]], where: str) -> Workflow:
    stages = {
        name: Stage(
            name=name,
            roles=_roles(stage["roles"], groups, f"{where}.stages.{name}"),
            requires=tuple(stage.get("requires", ())),
            requires_one_of=tuple(stage.get("requires_one_of", ())),
            label=stage.get("label", {}),
        )
        for name, stage in spec["stages"].items()
    }
    due = {name: (rule["after"], int(rule["days"])) for name, rule in spec.get("due", {}).items()}
    return Workflow(spec["log"], spec["key"], stages, spec.get("closed_when", {}), due)


def _record_type(name: str, spec: dict[str, Any], groups: Mapping[str, list[str]]) -> RecordType:
    where = f"record-types.json types.{name}"
    fields = {f: _field(f, s, groups, f"{where}.fields.{f}") for f, s in spec["fields"].items()}
    logs = {f: _field(f, s, groups, f"{where}.logs.{f}") for f, s in spec.get("logs", {}).items()}
    restricted = spec.get("restricted")
    record_type = RecordType(
        name=name,
        label=spec["label"],
        fields=fields,
        logs=logs,
        required=tuple(spec.get("required", ())),
        readers_field=restricted["readers"] if restricted else None,
        id_from=tuple(spec["id_from"]) if "id_from" in spec else None,
        workflow=_workflow(spec["workflow"], groups, f"{where}.workflow") if "workflow" in spec else None,
    )
    for required in record_type.required:
        if required not in fields:
            raise ValueError(f"{where}: required field {required!r} is not declared")
    if record_type.readers_field and record_type.readers_field not in record_type.member_fields:
        raise ValueError(f"{where}: readers field must be a declared member-id field")
    if record_type.workflow and record_type.workflow.log not in logs:
        raise ValueError(f"{where}: the workflow log {record_type.workflow.log!r} is not declared")
    for part in record_type.id_from or ():
        if part != "household" and part not in fields:
            raise ValueError(f"{where}: id_from names {part!r}, neither 'household' nor a field")
    return record_type


def load_declaration(path: Path = DECLARATION_PATH) -> tuple[dict[str, Any], dict[str, RecordType]]:
    """The declaration as JSON (for serving it) and its compiled record types."""
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    groups = raw["roles"]
    types = {name: _record_type(name, spec, groups) for name, spec in raw["types"].items()}
    return raw, types


DECLARATION, RECORD_TYPES = load_declaration()
