"""Hypothesis strategies for ops of one record, drawn from small pools so that ties and overwrites abound."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from sync import JSON, Kind, Op
from tests.sync.factories import HOUSEHOLD, RECORD, make_clock, make_id

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REPLICAS = ("a", "b", "c9")
FIELD_NAMES = ("date", "notes", "items")
LOG_NAMES = ("log", "comments")

json_scalars: st.SearchStrategy[JSON] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["老人身体尚好", "第3网格", "👍"]),
)
json_values: st.SearchStrategy[JSON] = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
    ),
    max_leaves=6,
)
# Merge rules do not look inside values, so most properties draw from a fixed sample (much cheaper to
# generate); the JSON round-trip properties use ``json_values``.
sample_values: st.SearchStrategy[JSON] = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        1.0,
        -2.5,
        "",
        "x",
        "老人身体尚好",
        [],
        ["policy", "care"],
        {},
        {"a": [1, {"b": None}]},
    ]
)
clocks = st.builds(make_clock, st.integers(0, 3), st.integers(0, 2))
authors = st.one_of(st.none(), st.integers(1, 3))


@st.composite
def ops(draw: st.DrawFn, op_id: str, values: st.SearchStrategy[JSON] = sample_values) -> Op:
    """One op of the shared record, with id ``op_id``."""
    kinds: list[Kind] = ["set", "set", "append", "delete", "restore"]
    kind = draw(st.sampled_from(kinds))
    fields = None
    field = None
    value: JSON = None
    if kind == "set":
        fields = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), values, min_size=1, max_size=3))
    elif kind == "append":
        field = draw(st.sampled_from(LOG_NAMES))
        value = draw(values)
    return Op(
        id=op_id,
        record=RECORD,
        type="visit",
        household=HOUSEHOLD,
        clock=draw(clocks),
        replica=draw(st.sampled_from(REPLICAS)),
        kind=kind,
        fields=fields,
        field=field,
        value=value,
        author=draw(authors),
    )


@st.composite
def op_sets(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 8, values: st.SearchStrategy[JSON] = sample_values
) -> list[Op]:
    """Ops with distinct ids (so no op_conflict), in id order."""
    numbers = draw(st.lists(st.integers(1, 40), min_size=min_size, max_size=max_size, unique=True))
    return [draw(ops(make_id(n), values)) for n in sorted(numbers)]


def without_author(op: Op) -> Op:
    """The client's own copy of an op: the same content, no author yet."""
    return dataclasses.replace(op, author=None)


@st.composite
def deliveries(draw: st.DrawFn, op_set: list[Op]) -> list[Op]:
    """Every op of ``op_set`` at least once as is, shuffled with extra copies, some of them author-less."""
    extra = draw(st.lists(st.sampled_from(op_set), max_size=len(op_set))) if op_set else []
    extra = [without_author(op) if draw(st.booleans()) else op for op in extra]
    return draw(st.permutations([*op_set, *extra]))


CROWDED_KINDS: tuple[Kind, ...] = ("set", "set", "set", "set", "delete", "restore", "append")
CROWDED_FIELDS = (("notes",), ("date",), ("date", "notes"))
CROWDED_VALUES: tuple[JSON, ...] = (
    None,
    True,
    0,
    1,
    1.0,
    "",
    "x",
    "老人身体尚好",
    [],
    ["policy"],
    {"a": [1]},
)


def crowded_op(n: int, code: int) -> Op:
    """Op ``n`` of a crowded set (id ``make_id(n)``), every choice read off the digits of ``code``."""

    def digit(base: int) -> int:
        nonlocal code
        code, rest = divmod(code, base)
        return rest

    kind = CROWDED_KINDS[digit(len(CROWDED_KINDS))]
    names = CROWDED_FIELDS[digit(len(CROWDED_FIELDS))]
    values = [CROWDED_VALUES[digit(len(CROWDED_VALUES))] for _ in names]
    clock = make_clock(digit(21), digit(2))
    replica = REPLICAS[digit(len(REPLICAS))]
    author = digit(4) or None
    return Op(
        id=make_id(n),
        record=RECORD,
        type="visit",
        household=HOUSEHOLD,
        clock=clock,
        replica=replica,
        kind=kind,
        fields=dict(zip(names, values, strict=True)) if kind == "set" else None,
        field="log" if kind == "append" else None,
        value=values[0] if kind == "append" else None,
        author=author,
    )


CROWDED_CODES = 7 * 3 * 11 * 11 * 21 * 2 * 3 * 4


@st.composite
def crowded_op_sets(draw: st.DrawFn, min_size: int = 10, max_size: int = 28) -> list[Op]:
    """Ops with distinct ids that write two fields and the tombstone far more often than a register
    keeps writes, in id order. Each op is one drawn integer (cheap to generate and to shrink)."""
    codes = draw(st.lists(st.integers(0, CROWDED_CODES - 1), min_size=min_size, max_size=max_size))
    return [crowded_op(n, code) for n, code in enumerate(codes, start=1)]


SERVER = "server"  # the replica id the server stamps its erase ops with


@st.composite
def erasable_op_sets(draw: st.DrawFn, min_size: int = 1, max_size: int = 10) -> list[Op]:
    """Like :func:`op_sets`, but about one op in five is an ``erase`` from the server (author 0, or the
    author-less copy), so sets with none, one and several erase ops all come up."""
    op_set = draw(op_sets(min_size=min_size, max_size=max_size))
    out = []
    for op in op_set:
        if draw(st.integers(0, 4)) == 0:
            author = draw(st.sampled_from([0, None]))
            op = dataclasses.replace(
                op, kind="erase", replica=SERVER, fields=None, field=None, value=None, author=author
            )
        out.append(op)
    return out
