"""JSON values: the type, a strict checker that copies, and the canonical encoding.

Every value in an op or a record state is plain JSON as ``json.loads`` produces it: ``None``, ``bool``,
``int``, finite ``float``, ``str``, ``list`` and ``dict`` with ``str`` keys. The canonical encoding is
what digests are computed over, so two values are "the same" for this library exactly when their
canonical encodings are equal (``1`` and ``1.0`` differ, ``True`` and ``1`` differ).
"""

from __future__ import annotations

import json
import math
from typing import Final, TypeAlias

import orjson

__all__ = ["JSON", "MAX_JSON_DEPTH", "JSONValueError", "canonical_json", "check_text", "checked_json"]

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"

MAX_JSON_DEPTH: Final = 64
"""How deeply lists and objects may nest in one value; deeper values would risk Python's recursion limit."""


class JSONValueError(ValueError):
    """A value is not plain JSON; ``path`` says where (``fields.notes[2]``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path} {problem}")
        self.path = path
        self.problem = problem


def canonical_json(obj: JSON) -> str:
    """Encode ``obj`` as canonical JSON: sorted keys, no spaces, UTF-8 text, no NaN or infinity.

    The encoding is defined as ``json.dumps(obj, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False, allow_nan=False)``: digests of stored ops were computed over it, so it must never
    change by a byte. orjson writes the very same text several times faster except for two kinds of value,
    which take the standard library's path: floats it formats otherwise (below 1e-4 in magnitude: ``1e-05``
    against orjson's ``0.00001``) or cannot refuse (NaN and infinity, which orjson writes as ``null``), and
    whatever orjson will not encode at all (integers beyond 64 bits, keys that are not strings, very deep
    nesting, lone surrogates), where the standard library answers or raises as it always did.
    tests/sync/test_json_value.py holds the two encoders to the same output.
    """
    if not _orjson_differs(obj):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except orjson.JSONEncodeError:
            pass
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_ORJSON_FLOOR: Final = 1e-4
"""orjson and ``repr`` format every finite float alike except those of magnitude below this (and zero)."""


_PLAIN: Final = frozenset({str, int, bool, type(None)})


def _orjson_differs(value: object) -> bool:
    """Whether ``value`` holds a float that orjson would write otherwise than :func:`json.dumps` does."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) in _PLAIN:
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, float) and (
            not math.isfinite(item) or (item != 0 and abs(item) < _ORJSON_FLOOR)
        ):
            return True
    return False


def checked_json(value: object, path: str, depth: int = 0, *, allow_nul: bool = True) -> JSON:
    """Return a deep copy of ``value`` if it is plain JSON, else raise :class:`JSONValueError`.

    Strings must be encodable as UTF-8 (no lone surrogates), since digests hash the UTF-8 bytes. With
    ``allow_nul=False`` they must not hold U+0000 either: new ops are refused it, because PostgreSQL cannot
    store it in text and both stores must accept exactly the same ops (states stored before that rule still
    load).
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise JSONValueError(path, f"must be a finite number, got {value!r}")
        return value
    if isinstance(value, str):
        check_text(value, path, allow_nul=allow_nul)
        return value
    if depth >= MAX_JSON_DEPTH:
        raise JSONValueError(path, f"nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, list):
        return [
            checked_json(item, f"{path}[{index}]", depth + 1, allow_nul=allow_nul)
            for index, item in enumerate(value)
        ]
    if isinstance(value, dict):
        copy: dict[str, JSON] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise JSONValueError(path, f"has a key that is not a string: {key!r}")
            check_text(key, path, allow_nul=allow_nul)
            copy[key] = checked_json(item, f"{path}.{key}", depth + 1, allow_nul=allow_nul)
        return copy
    raise JSONValueError(path, f"must be a JSON value, got a {type(value).__name__}")


def check_text(text: str, path: str, *, allow_nul: bool = True) -> None:
    """Raise :class:`JSONValueError` if ``text`` cannot be encoded as UTF-8 (a lone surrogate), or holds
    U+0000 when ``allow_nul`` is false."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONValueError(path, f"contains a lone surrogate at index {exc.start}") from None
    if not allow_nul and "\x00" in text:
        raise JSONValueError(path, f"contains the character U+0000 at index {text.index(chr(0))}")
