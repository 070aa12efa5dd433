"""The CRDT peer: the same visits merged in-process by pycrdt (Yrs, the Rust port of Yjs).

Each device keeps its own Y document (a map of records, each a map of fields) and turns every batch of
200 ops into one Y update, as a Yjs client would send it. The "server" document applies all devices'
updates, interleaved batch by batch as the HTTP fan-in receives them. Only that apply is timed: it is
the merge work a Yjs server does per op, without HTTP, validation, scope or disk.
"""

from __future__ import annotations

import time
from typing import Any

import pycrdt

__all__ = ["apply_fanin"]

BATCH = 200


def _updates(ops: list[dict[str, Any]]) -> list[bytes]:
    doc = pycrdt.Doc()
    records = doc.get("records", type=pycrdt.Map)
    updates = []
    for start in range(0, len(ops), BATCH):
        before = doc.get_state()
        with doc.transaction():
            for op in ops[start : start + BATCH]:
                record = records.get(op["record"])
                if record is None:
                    records[op["record"]] = pycrdt.Map(dict(op["fields"]))
                else:
                    for name, value in op["fields"].items():
                        record[name] = value
        updates.append(doc.get_update(before))
    return updates


def apply_fanin(per_device: list[list[dict[str, Any]]]) -> dict[str, float]:
    """Seconds for one document to apply every device's updates; also the update bytes."""
    encoded = [_updates(ops) for ops in per_device]
    order = [
        u
        for n in range(max(map(len, encoded)))
        for updates in encoded
        if n < len(updates)
        for u in [updates[n]]
    ]
    server = pycrdt.Doc()
    server.get("records", type=pycrdt.Map)
    started = time.perf_counter()
    for update in order:
        server.apply_update(update)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "update_bytes": float(sum(map(len, order)))}
