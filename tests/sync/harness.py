"""A seeded simulation of replicas syncing over a hostile network (after yjs's ``tests/testHelper.js``).

Each replica has its own :class:`~sync.HybridClock` and a physical clock that is offset, runs fast or slow
and sometimes jumps back. Every step either creates an op on a replica (set, append, delete or restore on
one of a few records of one household, so that writes really conflict and registers overflow and drop
their oldest writes) or moves the network: messages are dropped, duplicated, delivered out of order, and
held back while the replicas are partitioned; partitions heal later. Ops on the wire carry the author a
server would attach; the creator keeps an author-less copy. Now and then two replicas that can reach each
other swap whole record states (``merge_states``), and a replica restarts, reloading every state from its
storage text (``state_to_storage`` / ``state_from_storage``). Rarely the server erases a record (an
``erase`` op, as retention or a resident's request makes): replicas keep writing to it, unaware, and every
op of it that arrives after the erase, or was made after it, must be absorbed everywhere alike.

At the end everything heals and every replica sends every op it knows to every replica (anti-entropy).
:func:`run` then checks that all replicas hold identical states, equal to folding the whole op set in
(clock, replica, id) order, and raises :class:`HarnessFailure` naming the seed otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sync import (
    JSON,
    HybridClock,
    Kind,
    Op,
    RecordState,
    apply_op,
    canonical_json,
    encode_clock,
    merge_states,
    state_from_storage,
    state_to_json,
    state_to_storage,
    uuid7,
)

T0 = 1_763_712_000_000
HOUSEHOLD = "hh-0f3a9c2e5b7d"
FIELD_NAMES = ("date", "items", "notes", "request")
LOG_NAMES = ("log", "comments")
REPLAY = "LIANHU_HARNESS_SEED={seed} .venv/bin/pytest tests/sync/test_delivery_harness.py"


class HarnessFailure(AssertionError):
    """Replicas diverged (or an invariant broke) for one seed; the message says how to replay it."""


@dataclass
class Replica:
    name: str
    member: int
    clock: HybridClock
    offset_ms: int
    rate: float
    states: dict[str, RecordState] = field(default_factory=dict)
    known: dict[str, Op] = field(default_factory=dict)
    seen: str = "000000000000000-00000"

    def physical(self, true_ms: int) -> int:
        return max(0, T0 + self.offset_ms + int((true_ms - T0) * self.rate))

    def take(self, op: Op, true_ms: int, *, remote: bool) -> None:
        if remote:
            self.clock.observe(op.clock, self.physical(true_ms))
        self.seen = max(self.seen, op.clock)
        self.states[op.record] = apply_op(self.states.get(op.record), op)
        self.take_known(op.id, op)

    def take_known(self, op_id: str, op: Op) -> None:
        """Remember ``op`` for anti-entropy (the copy with an author when there is one)."""
        mine = self.known.get(op_id)
        if mine is None or mine.author is None:
            self.known[op_id] = op


@dataclass
class Message:
    dst: str
    op: Op


@dataclass
class Network:
    rng: random.Random
    drop: float
    duplicate: float
    in_flight: list[Message] = field(default_factory=list)
    groups: dict[str, int] | None = None

    def send(self, dst: str, op: Op) -> None:
        if self.rng.random() < self.drop:
            return
        self.in_flight.append(Message(dst, op))
        if self.rng.random() < self.duplicate:
            self.in_flight.append(Message(dst, op))

    def reachable(self, src: str, dst: str) -> bool:
        return self.groups is None or self.groups[src] == self.groups[dst]

    def pick(self, sources: dict[str, str]) -> Message | None:
        """Take one deliverable message at random (reordering), sometimes leaving a copy behind."""
        ready = [i for i, m in enumerate(self.in_flight) if self.reachable(sources[m.op.id], m.dst)]
        if not ready:
            return None
        index = self.rng.choice(ready)
        message = self.in_flight[index]
        if self.rng.random() >= self.duplicate:
            del self.in_flight[index]
        return message


@dataclass
class Simulation:
    seed: int
    replicas: int = 4
    steps: int = 160
    records: int = 3
    drop: float = 0.15
    duplicate: float = 0.1
    anti_entropy: bool = True
    erase: float = 0.006  # chance per step that the server erases one of the records
    trace: list[str] = field(default_factory=list)
    merges: int = 0
    restarts: int = 0
    erased: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.true_ms = T0
        self.network = Network(self.rng, self.drop, self.duplicate)
        self.nodes = {
            name: Replica(
                name=name,
                member=i + 1,
                clock=HybridClock(name),
                offset_ms=self.rng.randint(-3000, 3000),
                rate=self.rng.uniform(0.8, 1.2),
            )
            for i, name in enumerate(f"r{i}x{self.rng.randrange(1000)}" for i in range(self.replicas))
        }
        self.record_ids = [uuid7(ms=T0, rand=self.rng.randbytes(10)) for _ in range(self.records)]
        self.ops: dict[str, Op] = {}  # every op created, as the server would send it (with author)
        self.source: dict[str, str] = {}  # op id -> replica that created it

    def run(self) -> None:
        for _ in range(self.steps):
            self.true_ms += self.rng.randint(0, 40)
            roll = self.rng.random()
            if roll < 0.4:
                self.create(self.rng.choice(list(self.nodes.values())))
            elif roll < 0.8:
                self.deliver_one()
            elif roll < 0.84:
                self.swap_states()
            elif roll < 0.86:
                self.restart(self.rng.choice(list(self.nodes.values())))
            elif roll < 0.9:
                self.partition()
            elif roll < 0.95:
                self.heal()
            elif roll < 0.95 + self.erase:
                self.server_erases()
            else:
                node = self.rng.choice(list(self.nodes.values()))
                node.offset_ms -= self.rng.randint(0, 2000)
                self.trace.append(f"{node.name} clock jumps back to offset {node.offset_ms}")
        self.heal()
        while self.network.in_flight:
            self.deliver_one()
        if self.anti_entropy:
            self.exchange_everything()

    def create(self, node: Replica) -> None:
        physical = node.physical(self.true_ms)
        clock = node.clock.now(physical)
        if clock <= node.seen:
            raise HarnessFailure(f"{node.name} stamped {clock} after having seen {node.seen}")
        op = self.random_op(uuid7(ms=physical, rand=self.rng.randbytes(10)), clock, node.name)
        self.trace.append(f"{node.name} creates {op.kind} {op.id[-6:]} on {op.record[-6:]} at {clock}")
        self.ops[op.id] = op.with_author(node.member)
        self.source[op.id] = node.name
        node.take(op, self.true_ms, remote=False)
        for name in self.nodes:
            if name != node.name or self.rng.random() < 0.3:  # the server echoes some ops back
                self.network.send(name, self.ops[op.id])

    def random_op(self, op_id: str, clock: str, replica: str) -> Op:
        """A set, append, delete or restore on one of the records: few records and fields, many conflicts."""
        kinds: list[Kind] = ["set", "append", "delete", "restore"]
        kind = self.rng.choices(kinds, weights=[50, 25, 12, 13])[0]
        fields: dict[str, JSON] | None = None
        field: str | None = None
        value: JSON = None
        if kind == "set":
            names = self.rng.sample(FIELD_NAMES, self.rng.randint(1, 3))
            fields = {name: self.random_value() for name in names}
        elif kind == "append":
            field, value = self.rng.choice(LOG_NAMES), self.random_value()
        record = self.rng.choice(self.record_ids)
        return Op(op_id, record, "visit", HOUSEHOLD, clock, replica, kind, fields, field, value)

    def random_value(self) -> JSON:
        choices: list[JSON] = [
            None,
            self.rng.randint(-5, 5),
            f"说明{self.rng.randrange(100)}",
            [self.rng.choice(["policy", "safety", "care", "opinions"])],
            {"n": self.rng.randrange(3), "ok": self.rng.random() < 0.5},
        ]
        return self.rng.choice(choices)

    def server_erases(self) -> None:
        """The server erases a record: an erase op (replica ``server``, the system member 0) that reaches
        the replicas through the same lossy network as any op."""
        record = self.rng.choice(self.record_ids)
        clock = encode_clock(self.true_ms, self.rng.randrange(3))
        op = Op(uuid7(ms=self.true_ms, rand=self.rng.randbytes(10)), record, "visit", HOUSEHOLD, clock,
                "server", "erase", author=0)  # fmt: skip
        self.trace.append(f"server erases {record[-6:]} with {op.id[-6:]} at {clock}")
        self.ops[op.id] = op
        self.source[op.id] = self.rng.choice(list(self.nodes))  # the replica whose pull brings it
        self.erased.add(record)
        for name in self.nodes:
            self.network.send(name, op)

    def deliver_one(self) -> None:
        message = self.network.pick(self.source)
        if message is not None:
            self.nodes[message.dst].take(message.op, self.true_ms, remote=True)

    def swap_states(self) -> None:
        """Two replicas that can reach each other merge one record's states (anti-entropy by state)."""
        a, b = self.rng.sample(list(self.nodes.values()), 2)
        record = self.rng.choice(self.record_ids)
        if not self.network.reachable(a.name, b.name) or record not in a.states or record not in b.states:
            return
        merged = merge_states(a.states[record], b.states[record])
        # The greatest stamp of the union is a winner somewhere, so the merged state still shows it.
        clocks = [w.clock for _, r in merged.fields for w in r.writes] + [
            e.clock for _, es in merged.logs for e in es
        ]
        clocks += [w.clock for w in merged.deleted.writes] if merged.deleted else []
        top = max(clocks + ([merged.erased.clock] if merged.erased else []))
        shared = [op for node in (a, b) for op in node.known.values() if op.record == record]
        for node in (a, b):
            node.states[record] = merged
            node.clock.observe(top, node.physical(self.true_ms))
            node.seen = max(node.seen, top)
            for op in shared:
                node.take_known(op.id, op)
        self.merges += 1
        self.trace.append(f"{a.name} and {b.name} merge their states of {record[-6:]}")

    def restart(self, node: Replica) -> None:
        """The replica's process ends; its states come back from their storage text."""
        node.states = {rid: state_from_storage(state_to_storage(state)) for rid, state in node.states.items()}
        self.restarts += 1
        self.trace.append(f"{node.name} restarts")

    def partition(self) -> None:
        names = list(self.nodes)
        self.network.groups = {name: self.rng.randrange(2) for name in names}
        self.trace.append(f"partition {self.network.groups}")

    def heal(self) -> None:
        if self.network.groups is not None:
            self.trace.append("heal")
        self.network.groups = None

    def exchange_everything(self) -> None:
        messages = [
            (dst, self.ops[op_id])
            for node in self.nodes.values()
            for op_id in node.known
            for dst in self.nodes
        ]
        self.rng.shuffle(messages)
        for dst, op in messages:
            self.nodes[dst].take(op, self.true_ms, remote=True)

    def check(self) -> None:
        expected: dict[str, RecordState] = {}
        for op in sorted(self.ops.values(), key=lambda op: (op.clock, op.replica, op.id)):
            expected[op.record] = apply_op(expected.get(op.record), op)
        want = {record: canonical_json(state_to_json(state)) for record, state in expected.items()}
        for node in self.nodes.values():
            got = {record: canonical_json(state_to_json(state)) for record, state in node.states.items()}
            if got != want:
                differing = sorted(r[-6:] for r in want.keys() | got.keys() if got.get(r) != want.get(r))
                raise HarnessFailure(f"replica {node.name} diverged on records {differing}")
            if node.states != expected:
                raise HarnessFailure(f"replica {node.name}: states equal as JSON but not as objects")

    def dropped_writes(self) -> int:
        """How many register writes of all ops the final states no longer show (they dropped out); erased
        records do not count (their husks show nothing by design)."""
        ops = [op for op in self.ops.values() if op.record not in self.erased]
        written = sum(len(op.fields or {}) + (op.kind in ("delete", "restore")) for op in ops)
        states = [s for s in next(iter(self.nodes.values())).states.values() if not s.is_erased]
        kept = sum(len(r.writes) for s in states for _, r in s.fields)
        return written - kept - sum(len(s.deleted.writes) for s in states if s.deleted is not None)


def run(seed: int, **options: object) -> Simulation:
    """Run one seeded simulation and check convergence; :class:`HarnessFailure` says how to replay it."""
    simulation = Simulation(seed, **options)  # type: ignore[arg-type]
    try:
        simulation.run()
        simulation.check()
    except Exception as exc:
        tail = "\n  ".join(simulation.trace[-15:])
        raise HarnessFailure(
            f"seed {seed}: {type(exc).__name__}: {exc}\n"
            f"last events:\n  {tail}\n"
            f"replay just this seed: {REPLAY.format(seed=seed)}"
        ) from exc
    return simulation
