"""The part of JSON Schema (draft-07) that record-type declarations may use.

The server compiles value rules with ``fastjsonschema``; the PWA checks the same rules with its own small
validator (``pwa/js/record-types.js``), which implements exactly these keywords and formats. Keeping the
declaration inside this subset is what lets both sides agree: :func:`check_subset` refuses anything else
when the declaration is loaded, and the shared vectors (``server/domain/vectors.json``) prove the two
validators give the same verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, Final

__all__ = ["FORMATS", "KEYWORDS", "SchemaSubsetError", "check_subset"]

KEYWORDS: Final = frozenset(
    {
        "type",
        "enum",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "format",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "properties",
        "required",
        "additionalProperties",
    }
)
TYPES: Final = frozenset({"string", "integer", "boolean", "null", "array", "object"})

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS: Final[dict[str, Callable[[str], bool]]] = {
    "date": _is_date,
    "time": lambda value: _TIME.fullmatch(value) is not None,
    "uuid7": lambda value: _UUID7.fullmatch(value) is not None,
}


class SchemaSubsetError(ValueError):
    """A declaration uses a JSON Schema keyword, type or format outside the shared subset."""


def check_subset(schema: Any, where: str) -> None:
    """Raise :class:`SchemaSubsetError` if ``schema`` steps outside :data:`KEYWORDS`, types or formats."""
    if not isinstance(schema, dict):
        raise SchemaSubsetError(f"{where}: a schema must be an object, got {schema!r}")
    unknown = set(schema) - KEYWORDS
    if unknown:
        raise SchemaSubsetError(f"{where}: keywords {sorted(unknown)} are not in the shared subset")
    types = schema.get("type", [])
    for name in [types] if isinstance(types, str) else types:
        if name not in TYPES:
            raise SchemaSubsetError(f"{where}: type {name!r} is not one of {sorted(TYPES)}")
    if "format" in schema and schema["format"] not in FORMATS:
        raise SchemaSubsetError(f"{where}: format {schema['format']!r} is not one of {sorted(FORMATS)}")
    if "items" in schema:
        check_subset(schema["items"], f"{where}.items")
    for name, sub in schema.get("properties", {}).items():
        check_subset(sub, f"{where}.{name}")
    if schema.get("additionalProperties", False) is not False:
        raise SchemaSubsetError(f"{where}: additionalProperties may only be false")
