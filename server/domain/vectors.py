"""Shared test vectors for the record-type declaration: what the server's validator says about many values
of every declared field and log, and a few derived record ids.

``python -m server.domain.vectors --write`` regenerates ``server/domain/vectors.json``; the Python suite
checks the file is current (tests/server/test_declaration.py) and the JS suite checks that the PWA's own
validator (pwa/js/record-types.js) gives exactly the same verdicts (tests/js/record-types.test.mjs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import fastjsonschema

from server.domain.declaration import RECORD_TYPES, FieldSpec
from server.domain.ids import derived_record_id

__all__ = ["VECTORS_PATH", "build"]

VECTORS_PATH = Path(__file__).resolve().parent / "vectors.json"

_SCALARS: list[Any] = [None, True, False, 0, 1, -1, 7, 1900, 2101, 1.5, "", "a", "2026-11-30", "2026-02-30",
                       "2026-2-3", "09:30", "24:00", "9:30", "019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69",
                       "019AA5E2-3C40-7F00-9A11-0E3D2C4B5A69", "😀" * 3]  # fmt: skip


def _candidates(schema: dict[str, Any]) -> list[Any]:
    """Values near every edge of ``schema``: its enum, length and item bounds, wrong types, extra keys."""
    values: list[Any] = list(_SCALARS)
    values += list(schema.get("enum", []))
    for bound in ("minLength", "maxLength"):
        if bound in schema:
            n = schema[bound]
            values += ["长" * n, "长" * (n + 1), "😀" * n, "x" * max(n - 1, 0)]
    if "items" in schema:
        item_values = _candidates(schema["items"])[:40]
        values += [[], [item_values[0]], [item_values[-1]], [item_values[-1], item_values[-1]]]
        values += [[v] for v in schema["items"].get("enum", [])]
        values.append(list(schema["items"].get("enum", [])))
        values.append([1, 2, 3] * 4)
    if "properties" in schema:
        good = {name: _example(sub) for name, sub in schema["properties"].items()}
        required = {name: good[name] for name in schema.get("required", [])}
        values += [good, required, {**good, "extra": 1}, {}]
        values += [{k: v for k, v in good.items() if k != name} for name in good]
        values += [{**good, name: None} for name in good]
    return values


def _example(schema: dict[str, Any]) -> Any:
    """One valid value of ``schema``."""
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema["type"] if isinstance(schema["type"], str) else schema["type"][0]
    if kind == "string":
        return {"date": "2026-11-30", "time": "08:45", "uuid7": "019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69"}.get(
            schema.get("format", ""), "说明"
        )
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(schema["items"])]
    return {name: _example(sub) for name, sub in schema.get("properties", {}).items()}


def _verdict(spec: FieldSpec, value: Any) -> bool:
    try:
        spec.validate(value)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def build() -> dict[str, Any]:
    cases = []
    for record_type in RECORD_TYPES.values():
        for kind, specs in (("field", record_type.fields), ("log", record_type.logs)):
            for spec in specs.values():
                seen: set[str] = set()
                for value in _candidates(spec.schema):
                    key = json.dumps(value, sort_keys=True)
                    if key in seen:
                        continue
                    seen.add(key)
                    cases.append({"type": record_type.name, "kind": kind, "name": spec.name, "value": value,
                                  "valid": _verdict(spec, value)})  # fmt: skip
    ids = [
        {"type": t, "parts": parts, "id": derived_record_id(t, parts)}
        for t, parts in [
            ("curtain_check", ["hh-0f3a9c2e5b7d", "2026-11-30"]),
            ("curtain_check", ["hh-0f3a9c2e5b7d", "2026-12-01"]),
            ("curtain_check", ["七里河-3-101", "2026-11-30"]),
            ("household", ["hh-0f3a9c2e5b7d"]),
        ]
    ]
    return {"validation": cases, "derived_ids": ids}


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        VECTORS_PATH.write_text(render(), encoding="utf-8")
    else:
        print(render(), end="")
