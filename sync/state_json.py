"""The JSON form of a record state (docs/sync-protocol.md §3.3) and its exact inverse.

The JSON form is lossless: every op a state shows reappears in it as register writes (``set``,
``delete``, ``restore``) or a log entry (``append``), so :func:`state_from_json` rebuilds those ops (a set
op with only the writes its registers kept), folds them again, and checks that the result encodes back to
exactly the input. That one check rejects every malformed or reordered input without a rule of its own,
including a register with more than ``MAX_OVERWRITTEN`` losers. This is for untrusted input; a store's
own text loads faster with :func:`~sync.storage.state_from_storage`.

An erased record's husk has one more key, ``erased`` (the erase op's stamp), and empty fields, logs and
tombstone; every other state has no ``erased`` key, so its JSON is what it was before erasure existed.
"""

from __future__ import annotations

from typing import Final

from sync.builder import StateBuilder
from sync.errors import OpError, quote
from sync.json_value import JSON, canonical_json
from sync.parse import parse_op, parse_record_head
from sync.record import Erasure, LogEntry, RecordState, Register, Write

__all__ = ["state_from_json", "state_to_json"]

_STATE_KEYS: Final = ("id", "type", "household", "fields", "logs", "deleted")
_HUSK_KEYS: Final = (*_STATE_KEYS, "erased")
_ERASED_KEYS: Final = ("op", "clock", "replica", "author")
_WRITE_KEYS: Final = ("value", "clock", "replica", "op", "author")
_REGISTER_KEYS: Final = (*_WRITE_KEYS, "overwritten")
_ENTRY_KEYS: Final = ("id", "value", "clock", "replica", "author")

_Obj = dict[str, object]


def state_to_json(state: RecordState) -> dict[str, JSON]:
    """The state as ``{"id", "type", "household", "fields", "logs", "deleted"}``, names in sorted order;
    an erased record's husk also has ``"erased": {"op", "clock", "replica", "author"}``."""
    obj: dict[str, JSON] = {
        "id": state.id,
        "type": state.type,
        "household": state.household,
        "fields": {name: _register_to_json(register) for name, register in state.fields},
        "logs": {name: [_entry_to_json(entry) for entry in entries] for name, entries in state.logs},
        "deleted": None if state.deleted is None else _register_to_json(state.deleted),
    }
    if state.erased is not None:
        obj["erased"] = _erasure_to_json(state.erased)
    return obj


def _erasure_to_json(erased: Erasure) -> dict[str, JSON]:
    return {"op": erased.op, "clock": erased.clock, "replica": erased.replica, "author": erased.author}


def _register_to_json(register: Register) -> dict[str, JSON]:
    obj = _write_to_json(register.winner)
    obj["overwritten"] = [_write_to_json(write) for write in register.overwritten]
    return obj


def _write_to_json(write: Write) -> dict[str, JSON]:
    return {
        "value": write.value,
        "clock": write.clock,
        "replica": write.replica,
        "op": write.op,
        "author": write.author,
    }


def _entry_to_json(entry: LogEntry) -> dict[str, JSON]:
    return {
        "id": entry.id,
        "value": entry.value,
        "clock": entry.clock,
        "replica": entry.replica,
        "author": entry.author,
    }


def state_from_json(obj: object) -> RecordState:
    """Rebuild a state from :func:`state_to_json` output, so that ``state_to_json`` gives ``obj`` back.

    Raises ``ValueError`` naming the problem when ``obj`` is not exactly such an output: wrong keys or
    types, a malformed stamp or value, writes out of order, or one op id with two different contents
    (then the error is an :class:`~sync.errors.OpConflictError`, itself a ``ValueError``).
    """
    keys = _HUSK_KEYS if isinstance(obj, dict) and "erased" in obj else _STATE_KEYS
    state_obj = _object(obj, keys, "state")
    try:
        record, type_, household = parse_record_head(
            state_obj["id"], state_obj["type"], state_obj["household"], allow_nul=True
        )
    except OpError as exc:
        raise ValueError(f"state: {exc.message}") from None
    builder = StateBuilder(RecordState(id=record, type=type_, household=household))
    for op_obj in _ops(state_obj):
        op_obj |= {"record": record, "type": type_, "household": household}
        if op_obj["author"] is None:
            del op_obj["author"]
        try:
            op = parse_op(op_obj, allow_author=True, allow_nul=True)  # stored before U+0000 was refused
        except OpError as exc:
            raise ValueError(f"state holds a malformed write: {exc.message}") from None
        builder.apply(op)
    state = builder.state()
    if canonical_json(state_to_json(state)) != _canonical(state_obj):
        raise ValueError("state is not canonical: writes or entries are out of order or repeated")
    return state


def _ops(state_obj: _Obj) -> list[_Obj]:
    """The ops (without record, type and household) whose writes and entries ``state_obj`` shows.

    A ``set`` op shows up once per field it wrote; writes with the same op id and stamp are joined back
    into one op. Anything else that shares an op id stays a separate op, so folding it raises op_conflict.
    """
    ops: list[_Obj] = []
    sets: dict[str, _Obj] = {}
    for name, register in _items(state_obj["fields"], "fields"):
        for write in _register_writes(register, f"fields.{name}"):
            stamp = _canonical([write["op"], write["clock"], write["replica"], write["author"]])
            known = sets.get(stamp)
            if known is not None and isinstance(known["fields"], dict) and name not in known["fields"]:
                known["fields"][name] = write["value"]
                continue
            op = _stamped(write["op"], write) | {"kind": "set", "fields": {name: write["value"]}}
            sets.setdefault(stamp, op)
            ops.append(op)
    for name, entries in _items(state_obj["logs"], "logs"):
        if not isinstance(entries, list):
            raise ValueError(f"logs.{name} must be a list of entries, got {quote(entries)}")
        for index, entry in enumerate(entries):
            item = _object(entry, _ENTRY_KEYS, f"logs.{name}[{index}]")
            ops.append(_stamped(item["id"], item) | {"kind": "append", "field": name, "value": item["value"]})
    if state_obj["deleted"] is not None:
        for write in _register_writes(state_obj["deleted"], "deleted"):
            value = write["value"]
            if not isinstance(value, bool):
                raise ValueError(f"deleted must hold true or false, got {quote(value)}")
            ops.append(_stamped(write["op"], write) | {"kind": "delete" if value else "restore"})
    if "erased" in state_obj:
        erased = _object(state_obj["erased"], _ERASED_KEYS, "erased")
        ops.append(_stamped(erased["op"], erased) | {"kind": "erase"})
    return ops


def _stamped(op_id: object, write: _Obj) -> _Obj:
    return {"id": op_id, "clock": write["clock"], "replica": write["replica"], "author": write["author"]}


def _canonical(obj: object) -> str:
    try:
        return canonical_json(obj)  # type: ignore[arg-type]  # checking that it is JSON is the point
    except (TypeError, ValueError) as exc:
        raise ValueError(f"state is not plain JSON: {exc}") from None


def _object(obj: object, keys: tuple[str, ...], where: str) -> _Obj:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be an object, got {quote(obj)}")
    if set(obj) != set(keys):
        got = ", ".join(sorted(map(str, obj)))
        raise ValueError(f"{where} must have exactly the keys {', '.join(keys)}, got {got}")
    return obj


def _items(obj: object, where: str) -> list[tuple[str, object]]:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be an object, got {quote(obj)}")
    return list(obj.items())


def _register_writes(obj: object, where: str) -> list[_Obj]:
    register = _object(obj, _REGISTER_KEYS, where)
    overwritten = register["overwritten"]
    if not isinstance(overwritten, list):
        raise ValueError(f"{where}.overwritten must be a list, got {quote(overwritten)}")
    writes = [_object(item, _WRITE_KEYS, f"{where}.overwritten[{i}]") for i, item in enumerate(overwritten)]
    return [*writes, {key: register[key] for key in _WRITE_KEYS}]
