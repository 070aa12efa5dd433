"""canonical_json is defined as the standard library's encoding; its fast path (orjson) must match it byte
for byte, or digests of stored ops would change and every resent op would look like a conflict."""

from __future__ import annotations

import json
import math
import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import canonical_json
from tests.sync.strategies import PROPERTY


def stdlib(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def same_as_stdlib(value: object) -> None:
    try:
        expected = stdlib(value)
    except (TypeError, ValueError, RecursionError) as exc:
        with pytest.raises(type(exc)):
            canonical_json(value)  # type: ignore[arg-type]
        return
    assert canonical_json(value) == expected  # type: ignore[arg-type]


# Everything json.dumps accepts, and more: any float (tiny, huge, NaN, infinite), integers beyond 64 bits,
# any text (lone surrogates included), keys of any text, tuples.
anything = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**62, max_value=2**70),
        st.floats(),
        st.floats(min_value=-1e-3, max_value=1e-3),
        st.text(),
        st.text(alphabet=st.characters(codec=None)),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(), inner, max_size=4),
    ),
    max_leaves=10,
)


@PROPERTY
@given(anything)
def test_canonical_json_is_the_standard_librarys_encoding(value: object) -> None:
    same_as_stdlib(value)


def test_every_float_is_written_as_repr_writes_it() -> None:
    rng = random.Random(20261201)
    for _ in range(50_000):  # any bit pattern: every exponent, subnormals, NaNs, infinities
        same_as_stdlib(struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0])
    for exponent in range(-330, 310):
        for digits in (1, 3, 17):
            value = float(f"{rng.random():.{digits}g}e{exponent}")
            same_as_stdlib([value, -value, {"v": value}])


@pytest.mark.parametrize(
    "value",
    [
        1e-05, 2.5e-07, 0.0001, 1e16, 1e-320, -0.0, 0.0, 1.0, 123456789.0, 1.7976931348623157e308,
        "\x00\x1f\x7f\u2028\u2029\"\\/", "中文😀", {"b": 1, "a": 2, "中": 3, "é": 4, "😀": 5, "\uffff": 6},
        2**63, -(2**63) - 1, 2**64, {1: "int key"}, {"a": (1, [2.5e-9])}, [True, False, None],
    ],
)  # fmt: skip
def test_the_values_where_the_two_encoders_part(value: object) -> None:
    same_as_stdlib(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, {"a": [math.nan]}])
def test_nan_and_infinity_are_refused_as_before(value: object) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)  # type: ignore[arg-type]


def test_a_lone_surrogate_and_deep_nesting_behave_as_before() -> None:
    assert canonical_json("\ud800") == '"\ud800"'
    deep: list[object] = []
    for _ in range(300):  # deeper than orjson goes
        deep = [deep]
    assert canonical_json(deep) == stdlib(deep)  # type: ignore[arg-type]
