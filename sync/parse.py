"""``parse_op``: strict structural validation of an untrusted op (docs/sync-protocol.md §3.2).

Only the wire shape is checked here: keys, types, id/clock/name formats, JSON-ness of values. Whether a
record type exists and what its fields may hold are domain rules the server checks afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from sync.clock import decode_clock
from sync.errors import OpError, quote
from sync.json_value import JSON, JSONValueError, check_text, checked_json
from sync.op import KINDS, Kind, Op
from sync.uuid7 import is_uuid7

__all__ = ["parse_op", "parse_record_head"]

_COMMON_KEYS: Final = frozenset({"id", "record", "type", "household", "clock", "replica", "kind"})
_KIND_KEYS: Final[dict[str, frozenset[str]]] = {
    "set": _COMMON_KEYS | {"fields"},
    "append": _COMMON_KEYS | {"field", "value"},
    "delete": _COMMON_KEYS,
    "restore": _COMMON_KEYS,
    "erase": _COMMON_KEYS,
}
_REPLICA_RE: Final = re.compile(r"[0-9a-z]{1,32}")
_TYPE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FIELD_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HOUSEHOLD_MAX: Final = 64


def parse_op(obj: object, *, allow_author: bool = False, allow_nul: bool = False) -> Op:
    """Validate a decoded JSON op and return it as an :class:`~sync.op.Op`.

    Raises :class:`~sync.errors.OpError` with code ``author_not_allowed`` when ``obj`` carries ``author``
    and ``allow_author`` is false (clients never send it), else ``invalid_op`` with a message naming the
    offending key, what was expected and what was found. With ``allow_author`` (ops the server sends
    back), ``author`` is optional and must be an int. JSON values are deep-copied.

    Text must not hold U+0000 (PostgreSQL cannot store it, and both stores must accept the same ops);
    ``allow_nul`` lets ops stored before that rule be read back.
    """
    if not isinstance(obj, dict):
        raise _invalid(f"an op must be a JSON object, got {_json_type(obj)}")
    for key in obj:
        if not isinstance(key, str):
            raise _invalid(f"op keys must be strings, got {quote(key)}")
    if "author" in obj and not allow_author:
        raise OpError("author_not_allowed", "key 'author' is set by the server; a client must not send it")
    kind = _kind(obj)
    _check_keys(obj, kind, allow_author=allow_author)
    op_id = _uuid7("id", obj["id"])
    record, type_, household = parse_record_head(
        obj["record"], obj["type"], obj["household"], allow_nul=allow_nul
    )
    clock = _clock(obj["clock"])
    replica = _matching("replica", obj["replica"], _REPLICA_RE, "[0-9a-z]{1,32}")
    fields: dict[str, JSON] | None = None
    field: str | None = None
    value: JSON = None
    if kind == "set":
        fields = _fields(obj["fields"], allow_nul)
    elif kind == "append":
        field = _field_name("field", obj["field"])
        value = _json("value", obj["value"], allow_nul)
    author = _author(obj["author"]) if "author" in obj else None
    return Op(op_id, record, type_, household, clock, replica, kind, fields, field, value, author)


def parse_record_head(
    record: object, type_: object, household: object, *, allow_nul: bool = False
) -> tuple[str, str, str]:
    """Validate the ``record``, ``type`` and ``household`` of a record as :func:`parse_op` does."""
    return (
        _uuid7("record", record),
        _matching("type", type_, _TYPE_RE, "[a-z][a-z0-9_]{0,31}"),
        _household(household, allow_nul),
    )


def _invalid(message: str) -> OpError:
    return OpError("invalid_op", message)


def _json_type(value: object) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "an object"}
    return names.get(type(value), f"a {type(value).__name__}")


def _kind(obj: dict[str, object]) -> Kind:
    if "kind" not in obj:
        raise _invalid(f"missing key 'kind'; expected one of {', '.join(KINDS)}")
    kind = obj["kind"]
    for known in KINDS:
        if kind == known and isinstance(kind, str):
            return known
    raise _invalid(f"key 'kind' must be one of {', '.join(KINDS)}, got {quote(kind)}")


def _check_keys(obj: dict[str, object], kind: Kind, *, allow_author: bool) -> None:
    expected = _KIND_KEYS[kind]
    allowed = expected | {"author"} if allow_author else expected
    unknown, missing = sorted(obj.keys() - allowed), sorted(expected - obj.keys())
    if not unknown and not missing:
        return
    problem = f"unknown key {quote(unknown[0])}" if unknown else f"missing key {missing[0]!r}"
    raise _invalid(f"{problem} in a {kind} op; expected the keys {_listing(expected)}, got {_listing(obj)}")


def _listing(keys: Iterable[str], limit: int = 12) -> str:
    names = sorted(keys)
    shown = ", ".join(name if len(name) <= 40 else f"{name[:37]}..." for name in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise _invalid(f"key {key!r} must be a string, got {_json_type(value)} {quote(value)}")
    return value


def _uuid7(key: str, value: object) -> str:
    text = _string(key, value)
    if not is_uuid7(text):
        raise _invalid(f"key {key!r} must be a lowercase canonical UUIDv7, got {quote(text)}")
    return text


def _matching(key: str, value: object, pattern: re.Pattern[str], shown: str) -> str:
    text = _string(key, value)
    if not pattern.fullmatch(text):
        raise _invalid(f"key {key!r} must match {shown}, got {quote(text)}")
    return text


def _household(value: object, allow_nul: bool) -> str:
    text = _string("household", value)
    if not 0 < len(text) <= _HOUSEHOLD_MAX:
        raise _invalid(f"key 'household' must be 1 to {_HOUSEHOLD_MAX} characters, got {len(text)}")
    try:
        check_text(text, "household", allow_nul=allow_nul)
    except JSONValueError as exc:
        raise _invalid(f"key {exc.path!r} {exc.problem}") from None
    return text


def _clock(value: object) -> str:
    text = _string("clock", value)
    try:
        decode_clock(text)
    except ValueError as exc:
        raise _invalid(f"key 'clock': {exc}") from None
    return text


def _field_name(key: str, value: object) -> str:
    return _matching(key, value, _FIELD_RE, "[a-z][a-z0-9_]{0,63}")


def _fields(value: object, allow_nul: bool) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise _invalid(f"key 'fields' must be an object, got {_json_type(value)} {quote(value)}")
    if not value:
        raise _invalid("key 'fields' must name at least one field, got {}")
    fields: dict[str, JSON] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _FIELD_RE.fullmatch(name):
            raise _invalid(f"field name {quote(name)} in 'fields' must match [a-z][a-z0-9_]{{0,63}}")
        fields[name] = _json(f"fields.{name}", item, allow_nul)
    return fields


def _json(path: str, value: object, allow_nul: bool) -> JSON:
    try:
        return checked_json(value, path, allow_nul=allow_nul)
    except JSONValueError as exc:
        raise _invalid(f"{exc.path} {exc.problem}") from None


def _author(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"key 'author' must be an integer member id, got {_json_type(value)} {quote(value)}")
    return value
