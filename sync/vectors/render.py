"""Deterministic, diff-friendly JSON text for the vector files: short arrays and objects stay on one line."""

from __future__ import annotations

import json
from typing import Final

from sync.json_value import JSON

__all__ = ["render"]

_WIDTH: Final = 108


def render(obj: JSON) -> str:
    """``obj`` as indented JSON text ending in a newline; keys keep their insertion order."""
    return _render(obj, 0) + "\n"


def _render(obj: JSON, indent: int) -> str:
    flat = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
    if not isinstance(obj, list | dict) or not obj or indent + len(flat) <= _WIDTH:
        return flat
    pad = " " * (indent + 2)
    if isinstance(obj, list):
        items = [pad + _render(item, indent + 2) for item in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    pairs = [
        f"{pad}{json.dumps(key, ensure_ascii=False)}: {_render(value, indent + 2)}"
        for key, value in obj.items()
    ]
    return "{\n" + ",\n".join(pairs) + "\n" + " " * indent + "}"
