"""The op: one change to one record (docs/sync-protocol.md §3.2), and its wire encoding.

An op is immutable and self-describing: its id, the record it changes, the HLC stamp that orders it
(Kulkarni et al., *Logical Physical Clocks*, 2014) and what it does. Validation of untrusted input lives
in :mod:`sync.parse`; this module only holds and encodes ops.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from sync.json_value import JSON, canonical_json

__all__ = ["KINDS", "Kind", "Op", "op_digest", "op_to_json"]

Kind: TypeAlias = Literal["set", "append", "delete", "restore", "erase"]
KINDS: Final[tuple[Kind, ...]] = ("set", "append", "delete", "restore", "erase")


@dataclass(frozen=True, slots=True)
class Op:
    """One change to one record.

    ``set`` carries ``fields`` (name → new value); ``append`` carries ``field`` and ``value`` (the new log
    entry, any JSON including ``None``); ``delete``, ``restore`` and ``erase`` carry neither (``erase``
    empties the record for good and absorbs every other op of it; only the server makes one, protocol
    §3.3). ``author`` is the member id the server attaches; ``None`` on ops a client made itself. JSON
    values are held by reference: treat them as read-only.
    """

    id: str
    record: str
    type: str
    household: str
    clock: str
    replica: str
    kind: Kind
    fields: Mapping[str, JSON] | None = None
    field: str | None = None
    value: JSON = None
    author: int | None = None

    def __post_init__(self) -> None:
        # Only the shape that the merge code relies on; parse_op does the full validation.
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if (self.kind == "set") != (self.fields is not None):
            raise ValueError(f"fields must be given exactly for a set op; this is a {self.kind} op")
        if (self.kind == "append") != (self.field is not None):
            raise ValueError(f"field must be given exactly for an append op; this is a {self.kind} op")
        if self.kind != "append" and self.value is not None:
            raise ValueError(f"value must be None for a {self.kind} op, got {self.value!r}")

    @property
    def stamp(self) -> tuple[str, str, str]:
        """The total order key (clock, replica, op id), compared as strings."""
        return (self.clock, self.replica, self.id)

    def with_author(self, author: int) -> Op:
        """This op as the server sends it back: the same content, stamped with the member who pushed it."""
        return dataclasses.replace(self, author=author)


def op_to_json(op: Op) -> dict[str, JSON]:
    """The op as its wire JSON object; ``author`` appears only when it is set."""
    obj: dict[str, JSON] = {
        "id": op.id,
        "record": op.record,
        "type": op.type,
        "household": op.household,
        "clock": op.clock,
        "replica": op.replica,
        "kind": op.kind,
    }
    if op.fields is not None:
        obj["fields"] = dict(op.fields)
    if op.kind == "append":
        obj["field"] = op.field
        obj["value"] = op.value
    if op.author is not None:
        obj["author"] = op.author
    return obj


def op_digest(op: Op) -> str:
    """SHA-256 (hex) of the op's canonical JSON without ``author``: equal digests mean the same op content.

    Author is left out so that a client's own op (no author) and the copy the server sends back (with
    author) count as one op.
    """
    obj = op_to_json(op)
    obj.pop("author", None)
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
