"""The exceptions of the sync library, one tree with a stable ``code`` on every leaf.

```
SyncError                      code, message
├── ClockError                 clock_drift | counter_overflow
├── OpError                    invalid_op | author_not_allowed
└── MergeError (ValueError)
    ├── RecordMismatchError    record_mismatch
    └── OpConflictError        op_conflict
```

The codes are the ones the server sends to clients (docs/sync-protocol.md §4); the messages are English,
name the expected and the actual value, and are meant for people, not for parsing.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ClockError",
    "MergeError",
    "OpConflictError",
    "OpError",
    "RecordMismatchError",
    "SyncError",
    "quote",
]

_QUOTE_LIMIT: Final = 80


def quote(value: object) -> str:
    """``repr(value)`` cut to a readable length, for quoting an offending value in a message."""
    text = repr(value)
    if len(text) <= _QUOTE_LIMIT:
        return text
    return f"{text[: _QUOTE_LIMIT - 3]}..."


class SyncError(Exception):
    """Base of every error this library raises on purpose."""

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ClockError(SyncError):
    """A hybrid logical clock refused an event; the clock is left unchanged.

    ``clock_drift``: a remote wall time is more than ``max_drift_ms`` ahead of local physical time
    (the bound ε of Kulkarni et al., *Logical Physical Clocks*, 2014). ``counter_overflow``: the
    logical counter would reach 100000 and no longer fit its five digits.
    """


class OpError(SyncError):
    """An op failed structural validation (docs/sync-protocol.md §3.2).

    ``invalid_op``: not an object, a missing or unknown key, or a key of the wrong type or form.
    ``author_not_allowed``: the op carries ``author`` where only the server may set it.
    """


class MergeError(SyncError, ValueError):
    """An op or a state cannot be merged into a record state."""

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


class RecordMismatchError(MergeError):
    """The op or state belongs to another record, or names another type or household for it."""

    code = "record_mismatch"


class OpConflictError(MergeError):
    """An op with this id is already in the state with different content (or another author)."""

    code = "op_conflict"
