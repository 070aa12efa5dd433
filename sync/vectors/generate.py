"""Write ``merge.json``, ``storage.json`` and ``clock.json`` next to this file:
``python -m sync.vectors.generate``.

The output is deterministic, so the test suite can check that the committed files are what the library
produces now (tests/sync/test_vectors.py). ``--check`` exits 1 instead of writing when a file differs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from sync.json_value import JSON
from sync.record import MAX_OVERWRITTEN
from sync.vectors.clock_scenarios import clock_vectors
from sync.vectors.merge_scenarios import as_json, merge_vectors
from sync.vectors.render import render
from sync.vectors.storage_scenarios import storage_vectors

__all__ = ["VECTOR_DIR", "generate", "main"]

VECTOR_DIR: Final = Path(__file__).resolve().parent


def generate() -> dict[str, str]:
    """File name → the exact text the vector file must have."""
    merges = merge_vectors()
    merge: JSON = {"max_overwritten": MAX_OVERWRITTEN, "vectors": as_json(merges)}
    storage: JSON = {"vectors": as_json(storage_vectors(merges))}
    clock: JSON = {"vectors": as_json(clock_vectors())}
    return {"merge.json": render(merge), "storage.json": render(storage), "clock.json": render(clock)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = args == ["--check"]
    stale = []
    for name, text in generate().items():
        path = VECTOR_DIR / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            path.write_text(text, encoding="utf-8")
    verb = "stale" if check else "written"
    print(f"{verb}: {', '.join(stale)}" if stale else "vectors up to date")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
