"""The value types of a record state (docs/sync-protocol.md §3.3): writes, registers, log entries and the
state itself, all immutable. How states are built and merged is :mod:`sync.builder`; the public verbs are
in :mod:`sync.state`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Final, TypeVar

from sync.json_value import JSON

__all__ = ["MAX_OVERWRITTEN", "Erasure", "LogEntry", "RecordState", "Register", "Stamp", "Write"]

_T = TypeVar("_T")
Stamp = tuple[str, str, str]

MAX_OVERWRITTEN: Final = 4
"""How many losing writes a register keeps: the most recent ones by (clock, replica, op id).

Four covers what the app shows as a conflict — a few phones writing one field without seeing each other
(the member, a liaison and a grid leader at the same door) — while a field edited a thousand times costs
five writes, not a thousand. Older losers stay in the server's op log (``GET /api/records/{id}/history``).
"""


@dataclass(frozen=True, slots=True)
class Write:
    """One write to a register: the value and the stamp of the op that wrote it."""

    value: JSON
    clock: str
    replica: str
    op: str
    author: int | None

    @property
    def stamp(self) -> Stamp:
        return (self.clock, self.replica, self.op)


@dataclass(frozen=True, slots=True)
class Register:
    """A last-writer-wins register that keeps its most recent losers: at most ``MAX_OVERWRITTEN + 1``
    writes, ascending by stamp."""

    writes: tuple[Write, ...]

    @property
    def winner(self) -> Write:
        """The write with the greatest (clock, replica, op id): it decides the value."""
        return self.writes[-1]

    @property
    def value(self) -> JSON:
        return self.writes[-1].value

    @property
    def overwritten(self) -> tuple[Write, ...]:
        """The most recent losing writes (at most :data:`MAX_OVERWRITTEN`), ascending; concurrent or not
        (an HLC does not capture causality)."""
        return self.writes[:-1]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry an ``append`` op added to a log; its id is the op's id."""

    id: str
    value: JSON
    clock: str
    replica: str
    author: int | None

    @property
    def stamp(self) -> Stamp:
        return (self.clock, self.replica, self.id)


@dataclass(frozen=True, slots=True)
class Erasure:
    """The stamp of the ``erase`` op that emptied a record: all an erased record keeps (its *husk*).

    Only the server makes erase ops (retention, a resident's request); the op carries no personal data.
    """

    op: str
    clock: str
    replica: str
    author: int | None

    @property
    def stamp(self) -> Stamp:
        return (self.clock, self.replica, self.op)


@dataclass(frozen=True, slots=True)
class RecordState:
    """The materialized record (docs/sync-protocol.md §3.3), immutable.

    ``fields`` and ``logs`` are ``(name, ...)`` pairs sorted by name. There is no separate index of the
    ops folded in: the ops a state still shows are read off its writes and entries when needed
    (:mod:`sync.builder`), so a state is only as big as what it shows.

    ``erased`` is set on an erased record's husk: then ``fields``, ``logs`` and ``deleted`` are empty, and
    stay so whatever other op comes (an erase op absorbs every other op of its record).
    """

    id: str
    type: str
    household: str
    fields: tuple[tuple[str, Register], ...] = ()
    logs: tuple[tuple[str, tuple[LogEntry, ...]], ...] = ()
    deleted: Register | None = None
    erased: Erasure | None = None

    @property
    def is_erased(self) -> bool:
        """Whether an ``erase`` op emptied the record for good (its husk is all that is left)."""
        return self.erased is not None

    @property
    def is_deleted(self) -> bool:
        """Whether the tombstone register's value is ``True`` (fields and logs are still kept)."""
        return self.deleted is not None and self.deleted.value is True

    def field(self, name: str) -> Register | None:
        return _lookup(self.fields, name)

    def log(self, name: str) -> tuple[LogEntry, ...]:
        return _lookup(self.logs, name) or ()

    def values(self) -> dict[str, JSON]:
        """The current value of every field, by name."""
        return {name: register.value for name, register in self.fields}


def _lookup(pairs: tuple[tuple[str, _T], ...], name: str) -> _T | None:
    i = bisect_left(pairs, name, key=_first)
    return pairs[i][1] if i < len(pairs) and pairs[i][0] == name else None


def _first(pair: tuple[str, object]) -> str:
    return pair[0]
