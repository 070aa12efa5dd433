"""The storage form of a record state: compact, lossless, and loaded in one pass without re-applying ops.

For the server's ``records`` table and the phone's IndexedDB, i.e. for text this code wrote itself: it is
trusted, so loading only decodes it. Text from anywhere else (a client, the network) goes through
:func:`~sync.state_json.state_from_json`, which validates by replaying.

Each op's stamp (id, clock, replica, author) is stored once, however many fields it wrote, and every
write or entry refers to it by index. Version 1, as canonical JSON (sorted keys, no spaces, UTF-8)::

    {"deleted": [[i, true], ...],            the tombstone register's writes, ascending ([] if none)
     "fields": {"notes": [[i, value], ...]}, each register's writes, ascending
     "household": "…", "id": "…",
     "logs": {"log": [[i, value], ...]},     each log's entries, ascending
     "ops": [[op id, clock, replica, author], ...],
     "type": "visit", "v": 1}

``ops`` lists every op the state shows, once, ascending by (clock, replica, op id); ``i`` is a position
in it. An erased record's husk has one more key, ``"erased": i`` (its erase op; ``ops`` holds just that
one, everything else is empty); other states have no ``erased`` key. The text is deterministic, so the
Python and JavaScript twins write byte-identical text for equal states (the shared vectors in
``vectors/storage.json`` hold them to it).
"""

from __future__ import annotations

import json
from typing import Final

from sync.json_value import JSON, canonical_json
from sync.record import Erasure, LogEntry, RecordState, Register, Write

__all__ = ["STORAGE_VERSION", "state_from_storage", "state_to_storage"]

STORAGE_VERSION: Final = 1

_Stamp = tuple[str, str, str, int | None]  # op id, clock, replica, author


def state_to_storage(state: RecordState) -> str:
    """The state as storage text: compact canonical JSON that :func:`state_from_storage` reads back."""
    stamps: dict[str, _Stamp] = {}
    for _, register in state.fields:
        for write in register.writes:
            stamps[write.op] = (write.op, write.clock, write.replica, write.author)
    for _, entries in state.logs:
        for entry in entries:
            stamps[entry.id] = (entry.id, entry.clock, entry.replica, entry.author)
    deleted = state.deleted.writes if state.deleted is not None else ()
    for write in deleted:
        stamps[write.op] = (write.op, write.clock, write.replica, write.author)
    erased = state.erased
    if erased is not None:
        stamps[erased.op] = (erased.op, erased.clock, erased.replica, erased.author)
    ordered = sorted(stamps.values(), key=_order)
    index = {stamp[0]: i for i, stamp in enumerate(ordered)}
    obj: dict[str, JSON] = {
        "deleted": [[index[write.op], write.value] for write in deleted],
        "fields": {
            name: [[index[write.op], write.value] for write in register.writes]
            for name, register in state.fields
        },
        "household": state.household,
        "id": state.id,
        "logs": {name: [[index[entry.id], entry.value] for entry in entries] for name, entries in state.logs},
        "ops": [list(stamp) for stamp in ordered],
        "type": state.type,
        "v": STORAGE_VERSION,
    }
    if erased is not None:
        obj["erased"] = index[erased.op]
    return canonical_json(obj)


def _order(stamp: _Stamp) -> tuple[str, str, str]:
    return (stamp[1], stamp[2], stamp[0])


def state_from_storage(text: str) -> RecordState:
    """The state that :func:`state_to_storage` wrote as ``text``, in one pass over it.

    Trusted input: only the version and the overall shape are checked (``ValueError`` naming the
    problem). Anything but this library's own output may give a state that breaks the merge rules.
    """
    obj = json.loads(text)
    if not isinstance(obj, dict) or obj.get("v") != STORAGE_VERSION:
        version = obj.get("v") if isinstance(obj, dict) else None
        raise ValueError(f"record storage must be version {STORAGE_VERSION}, got version {version!r}")
    try:
        stamps: list[list[str]] = obj["ops"]

        def writes(items: list[list[JSON]]) -> tuple[Write, ...]:
            out = []
            for i, value in items:
                op_id, clock, replica, author = stamps[i]  # type: ignore[index]
                out.append(Write(value, clock, replica, op_id, author))  # type: ignore[arg-type]
            return tuple(out)

        def entries(items: list[list[JSON]]) -> tuple[LogEntry, ...]:
            out = []
            for i, value in items:
                op_id, clock, replica, author = stamps[i]  # type: ignore[index]
                out.append(LogEntry(op_id, value, clock, replica, author))  # type: ignore[arg-type]
            return tuple(out)

        fields = tuple((name, Register(writes(items))) for name, items in sorted(obj["fields"].items()))
        logs = tuple((name, entries(items)) for name, items in sorted(obj["logs"].items()))
        deleted = Register(writes(obj["deleted"])) if obj["deleted"] else None
        erased = None
        if "erased" in obj:
            op_id, clock, replica, author = stamps[obj["erased"]]
            erased = Erasure(op_id, clock, replica, author)  # type: ignore[arg-type]
        return RecordState(obj["id"], obj["type"], obj["household"], fields, logs, deleted, erased)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"record storage is malformed: {type(exc).__name__}: {exc}") from None
