"""Lianhu sync: hybrid logical clocks, ops and the merge rules every replica applies.

Pure Python, no I/O. The server imports it; the PWA has a JavaScript twin in ``pwa/js/sync/`` held to it
by the shared vectors in ``sync/vectors/``. The wire contract is ``docs/sync-protocol.md``; the algorithm
is explained in ``sync/INTERNALS.md``. Clocks follow Kulkarni et al., *Logical Physical Clocks*, 2014.
"""

from __future__ import annotations

from sync.clock import HybridClock, decode_clock, encode_clock
from sync.errors import ClockError, MergeError, OpConflictError, OpError, RecordMismatchError, SyncError
from sync.json_value import JSON, canonical_json
from sync.op import Kind, Op, op_digest, op_to_json
from sync.parse import parse_op
from sync.record import Erasure
from sync.state import (
    MAX_OVERWRITTEN,
    LogEntry,
    RecordState,
    Register,
    StateBuilder,
    Write,
    apply_op,
    apply_ops,
    merge_states,
)
from sync.state_json import state_from_json, state_to_json
from sync.storage import state_from_storage, state_to_storage
from sync.uuid7 import is_uuid7, uuid7

__all__ = [
    "JSON",
    "MAX_OVERWRITTEN",
    "ClockError",
    "Erasure",
    "HybridClock",
    "Kind",
    "LogEntry",
    "MergeError",
    "Op",
    "OpConflictError",
    "OpError",
    "RecordMismatchError",
    "RecordState",
    "Register",
    "StateBuilder",
    "SyncError",
    "Write",
    "apply_op",
    "apply_ops",
    "canonical_json",
    "decode_clock",
    "encode_clock",
    "is_uuid7",
    "merge_states",
    "op_digest",
    "op_to_json",
    "parse_op",
    "state_from_json",
    "state_from_storage",
    "state_to_json",
    "state_to_storage",
    "uuid7",
]
