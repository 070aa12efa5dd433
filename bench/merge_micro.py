"""Merge-library micro-benchmark (issue 8): the ``sync`` package now against itself before issue 8.

    .venv/bin/python -m bench.merge_micro            # well under a minute on the 2-core machine
    .venv/bin/python -m bench.merge_micro --quick    # a tenth of the sizes, to see that it runs

"Before" is ``sync/`` at commit ``BASELINE`` (every loser kept, every op and its digest in the state,
states stored as §3.3 JSON and loaded by replaying them), read from git into a private package next to
today's ``sync``, so both run in one process on the same ops and every line is a ratio from one run. The
ops are the benchmarks' visits (``bench/lib/ops.py``, ~460 B of canonical JSON with Chinese notes): 2,000
new visits from 10 phones, then 8,000 edits of their notes spread over them. A benchmark, not a test:
nothing fails because a figure is slow; each timing is the best of three runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import sync
from sync import canonical_json

from .lib.ops import VisitWriter

BASELINE = "46c807e3f0cd22432d547b73a9e0f4a4b12f41f0"  # sync/ before issue 8
T0 = 1_763_712_000_000
LATER = T0 + 400 * 86_400_000
REPEAT = 3
ROOT = Path(__file__).resolve().parent.parent

Ops = list[dict[str, Any]]


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def load_baseline(into: Path) -> ModuleType:
    """``sync`` as it was at ``BASELINE``, importable as ``sync_before``."""
    package = into / "sync_before"
    package.mkdir()
    for name in git("ls-tree", "--name-only", BASELINE, "sync/").split():
        if name.endswith(".py"):
            text = git("show", f"{BASELINE}:{name}").replace("from sync.", "from sync_before.")
            (package / Path(name).name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module("sync_before")


def visit_ops(records: int, edits: int, seed: int = 8) -> Ops:
    """``records`` new visits from 10 phones, then ``edits`` edits of random ones, in stamp order."""
    households = [f"hh-{n:05d}" for n in range(records)]
    writers = [
        VisitWriter(f"phone{n:02d}", households, seed=seed + n, start_ms=T0, step_ms=60_000, edit_share=0.0)
        for n in range(10)
    ]
    made = [writers[n % 10].next_op() for n in range(records)]
    rng = random.Random(seed)
    for _ in range(edits):
        target = rng.choice(made[:records])
        made.append(rng.choice(writers).edit(target["record"], target["household"]))
    return sorted(made, key=lambda op: (op["clock"], op["replica"], op["id"]))


def later_edits(targets: list[tuple[str, str]], seed: int) -> Ops:
    writer = VisitWriter(f"phone{seed}", [], seed=seed, start_ms=LATER, step_ms=1000)
    return [writer.edit(record, household) for record, household in targets]


def best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def show(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value:10,.0f} B "
    return f"{value * 1000:10.1f} ms" if value >= 0.001 else f"{value * 1e6:10.1f} µs"


def line(what: str, before: float, after: float, unit: str) -> None:
    ratio = f"{before / after:7.1f}× {'faster' if unit == 's' else 'smaller'}" if after else ""
    print(f"  {what:<56} before {show(before, unit)}   after {show(after, unit)}   {ratio}")


def fold(module: Any, ops: list[Any]) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for op in ops:
        states[op.record] = module.apply_op(states.get(op.record), op)
    return states


def batch(ops: list[sync.Op]) -> dict[str, sync.RecordState]:
    grouped: dict[str, list[sync.Op]] = defaultdict(list)
    for op in ops:
        grouped[op.record].append(op)
    return {record: sync.apply_ops(None, mine) for record, mine in grouped.items()}


def old_text(old: Any, state: Any) -> str:
    return canonical_json(old.state_to_json(state))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.merge_micro", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    scale = 0.1 if parser.parse_args(argv).quick else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        old = load_baseline(Path(tmp))
        raw = visit_ops(int(2000 * scale), int(8000 * scale))
        records = len({op["record"] for op in raw})
        size = sum(len(canonical_json(op).encode()) for op in raw) / len(raw)
        print(f"merge_micro: {len(raw):,} visit ops ({size:.0f} B of JSON each) into {records:,} records")
        print(
            f"  before: sync/ at {BASELINE[:7]}; after: sync/ now, MAX_OVERWRITTEN = {sync.MAX_OVERWRITTEN}"
        )
        old_states, new_states = folding(old, raw)
        loading(old, old_states, new_states)
        push_batch(old, raw, old_states, new_states)
        sizes(old, raw, old_states, new_states)
        edited(old)
    return 0


def folding(old: ModuleType, raw: Ops) -> tuple[dict[str, Any], dict[str, sync.RecordState]]:
    old_ops, new_ops = [old.parse_op(op) for op in raw], [sync.parse_op(op) for op in raw]
    print("\nfold every op into its record")
    t_old = best(lambda: fold(old, old_ops))
    line("apply_op, one op at a time", t_old, best(lambda: fold(sync, new_ops)), "s")
    line("apply_ops, one call per record (after)", t_old, best(lambda: batch(new_ops)), "s")
    return fold(old, old_ops), batch(new_ops)


def loading(old: ModuleType, old_states: dict[str, Any], new_states: dict[str, sync.RecordState]) -> None:
    old_texts = [old_text(old, state) for state in old_states.values()]
    new_texts = [sync.state_to_storage(state) for state in new_states.values()]
    new_json = [canonical_json(sync.state_to_json(state)) for state in new_states.values()]
    print(f"\nload all {len(old_texts):,} stored states (the server's load_state)")
    t_old = best(lambda: [old.state_from_json(json.loads(text)) for text in old_texts])
    t_new = best(lambda: [sync.state_from_storage(text) for text in new_texts])
    line("state_from_json (replay) → state_from_storage", t_old, t_new, "s")
    t_json = best(lambda: [sync.state_from_json(json.loads(text)) for text in new_json])
    line("state_from_json → state_from_json (untrusted input)", t_old, t_json, "s")
    print(f"store all {len(old_texts):,} states (the server's store_state)")
    t_old = best(lambda: [old_text(old, state) for state in old_states.values()])
    t_new = best(lambda: [sync.state_to_storage(state) for state in new_states.values()])
    line("canonical §3.3 JSON → state_to_storage", t_old, t_new, "s")


def push_batch(old: ModuleType, raw: Ops, old_states: dict[str, Any], new_states: dict[str, Any]) -> None:
    """What push does under its write lock for a batch of 500 edits: load, fold and store each record."""
    rng = random.Random(500)
    household = {op["record"]: op["household"] for op in raw}
    chosen = [rng.choice(list(new_states)) for _ in range(500)]
    edits = later_edits([(record, household[record]) for record in chosen], seed=500)
    old_stored = {record: old_text(old, old_states[record]) for record in chosen}
    new_stored = {record: sync.state_to_storage(new_states[record]) for record in chosen}
    old_ops, new_ops = [old.parse_op(op) for op in edits], [sync.parse_op(op) for op in edits]

    def before() -> None:
        states = {record: old.state_from_json(json.loads(text)) for record, text in old_stored.items()}
        for op in old_ops:
            states[op.record] = old.apply_op(states[op.record], op)
        [old_text(old, state) for state in states.values()]

    def after() -> None:
        builders = {record: sync.StateBuilder(sync.state_from_storage(t)) for record, t in new_stored.items()}
        for op in new_ops:
            builders[op.record].apply(op)
        [sync.state_to_storage(builder.state()) for builder in builders.values()]

    print(f"\na push of 500 edits to {len(old_stored)} records: load, apply, store, under the write lock")
    line("replay, apply_op, §3.3 JSON → storage, StateBuilder", best(before), best(after), "s")


def sizes(old: ModuleType, raw: Ops, old_states: dict[str, Any], new_states: dict[str, Any]) -> None:
    records = len(new_states)
    per_record = sum(len(canonical_json(op).encode()) for op in raw) / records
    old_bytes = sum(len(old_text(old, state).encode()) for state in old_states.values()) / records
    new_bytes = sum(len(sync.state_to_storage(state).encode()) for state in new_states.values()) / records
    json_bytes = (
        sum(len(canonical_json(sync.state_to_json(s)).encode()) for s in new_states.values()) / records
    )
    shown = {w.op for state in new_states.values() for _, r in state.fields for w in r.writes}
    raw_shown = sum(len(canonical_json(op).encode()) for op in raw if op["id"] in shown) / records
    print(
        f"\nstate bytes per record: {len(raw) / records:.1f} ops a record, {per_record:,.0f} B of raw op JSON"
    )
    line("stored state: §3.3 JSON → storage form", old_bytes, new_bytes, "B")
    line("§3.3 JSON, as GET /api/records/{id} returns it", old_bytes, json_bytes, "B")
    of_shown, of_all, before_all = new_bytes / raw_shown, new_bytes / per_record, old_bytes / per_record
    print(f"  storage form ÷ raw JSON of the ops it shows: {of_shown:.2f}×;", end=" ")
    print(f"÷ raw JSON of all the record's ops: {of_all:.2f}× (before: {before_all:.2f}×)")


def edited(old: ModuleType) -> None:
    def record(edits: int) -> tuple[Any, sync.RecordState, str]:
        ops = visit_ops(1, edits, seed=edits)
        old_state = None
        for op in ops:
            old_state = old.apply_op(old_state, old.parse_op(op))
        return old_state, sync.apply_ops(None, [sync.parse_op(op) for op in ops]), ops[0]["household"]

    (old10, new10, _), (old1k, new1k, household) = record(9), record(999)
    b_old10, b_old1k = len(old_text(old, old10).encode()), len(old_text(old, old1k).encode())
    b_new10, b_new1k = len(sync.state_to_storage(new10).encode()), len(sync.state_to_storage(new1k).encode())
    print("\none record edited 1,000 times (and 10 times)")
    line("stored bytes", b_old1k, b_new1k, "B")
    print(f"  {'bytes of 1,000 edits ÷ bytes of 10 edits':<56} before {b_old1k / b_old10:10.1f}×    "
          f"after {b_new1k / b_new10:10.2f}×")  # fmt: skip
    text_old, text_new = old_text(old, old1k), sync.state_to_storage(new1k)
    t_old = best(lambda: old.state_from_json(json.loads(text_old)))
    line("load it", t_old, best(lambda: sync.state_from_storage(text_new)), "s")
    (more,) = later_edits([(new1k.id, household)], seed=1)
    old_op, new_op = old.parse_op(more), sync.parse_op(more)
    line(
        "apply one more edit",
        best(lambda: old.apply_op(old1k, old_op)),
        best(lambda: sync.apply_op(new1k, new_op)),
        "s",
    )


if __name__ == "__main__":
    raise SystemExit(main())
