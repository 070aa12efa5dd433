from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import ClockError, HybridClock, decode_clock, encode_clock
from tests.sync.strategies import PROPERTY

T0 = 1_763_712_000_000


def make_clock(**overrides: int) -> HybridClock:
    wall = overrides.pop("wall", T0)
    counter = overrides.pop("counter", 0)
    max_drift_ms = overrides.pop("max_drift_ms", 86_400_000)
    assert not overrides, f"unknown overrides {overrides}"
    return HybridClock("k3v9x2m1p8q4r7t0", wall=wall, counter=counter, max_drift_ms=max_drift_ms)


@pytest.mark.parametrize(
    ("wall", "counter", "text"),
    [
        (0, 0, "000000000000000-00000"),
        (T0, 3, "001763712000000-00003"),
        (10**15 - 1, 99_999, "999999999999999-99999"),
    ],
    ids=["zero", "typical", "largest"],
)
def test_encode_and_decode_clock_are_inverse(wall: int, counter: int, text: str) -> None:
    assert encode_clock(wall, counter) == text
    assert decode_clock(text) == (wall, counter)


@pytest.mark.parametrize(
    ("wall", "counter"),
    [(-1, 0), (10**15, 0), (0, -1), (0, 100_000), (True, 0)],
    ids=["negative-wall", "wall-too-large", "negative-counter", "counter-too-large", "bool-wall"],
)
def test_encode_clock_rejects_out_of_range_parts(wall: int, counter: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        encode_clock(wall, counter)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1763712000000-00000",
        "001763712000000-0000",
        "001763712000000_00000",
        "001763712000000-00000\n",
        "00176371200000a-00000",
        "００1763712000000-00000",
        " 001763712000000-00000",
    ],
    ids=[
        "empty",
        "short-wall",
        "short-counter",
        "wrong-separator",
        "trailing-newline",
        "letter",
        "fullwidth-digits",
        "leading-space",
    ],
)
def test_decode_clock_rejects_and_quotes_malformed_text(text: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        decode_clock(text)
    assert repr(text) in str(excinfo.value)


@given(st.integers(0, 10**15 - 1), st.integers(0, 99_999), st.integers(0, 10**15 - 1), st.integers(0, 99_999))
@PROPERTY
def test_clock_string_order_is_numeric_order(w1: int, c1: int, w2: int, c2: int) -> None:
    assert (encode_clock(w1, c1) < encode_clock(w2, c2)) == ((w1, c1) < (w2, c2))


def test_now_counts_up_within_one_ms_and_resets_when_physical_time_advances() -> None:
    clock = make_clock(wall=0)
    assert [clock.now(T0), clock.now(T0), clock.now(T0 + 1)] == [
        encode_clock(T0, 0),
        encode_clock(T0, 1),
        encode_clock(T0 + 1, 0),
    ]


def test_now_keeps_the_wall_when_physical_time_goes_backwards() -> None:
    clock = make_clock(wall=T0 + 5000, counter=2)
    assert clock.now(T0) == encode_clock(T0 + 5000, 3)


@pytest.mark.parametrize(
    ("local", "remote", "physical", "after"),
    [
        ((T0, 3), (T0 + 10, 5), T0 + 1, (T0 + 10, 6)),
        ((T0 + 10, 3), (T0, 9), T0 + 1, (T0 + 10, 4)),
        ((T0, 3), (T0, 7), T0, (T0, 8)),
        ((T0, 8), (T0, 7), T0 - 5, (T0, 9)),
        ((T0, 3), (T0 + 1, 4), T0 + 9, (T0 + 9, 0)),
        ((T0, 3), (T0 + 9, 4), T0 + 9, (T0 + 9, 5)),
        ((T0 + 9, 3), (T0, 4), T0 + 9, (T0 + 9, 4)),
    ],
    ids=[
        "remote-ahead",
        "remote-behind",
        "equal-walls-remote-counter",
        "equal-walls-local-counter",
        "physical-ahead",
        "physical-equals-remote",
        "physical-equals-local",
    ],
)
def test_observe_follows_kulkarni_receive_rule(
    local: tuple[int, int], remote: tuple[int, int], physical: int, after: tuple[int, int]
) -> None:
    clock = make_clock(wall=local[0], counter=local[1])
    clock.observe(encode_clock(*remote), physical)
    assert (clock.wall, clock.counter) == after


def test_observe_refuses_a_remote_wall_beyond_max_drift_and_leaves_the_clock_unchanged() -> None:
    clock = make_clock(wall=T0, counter=4, max_drift_ms=1000)
    with pytest.raises(ClockError) as excinfo:
        clock.observe(encode_clock(T0 + 1001, 0), T0)
    assert excinfo.value.code == "clock_drift"
    assert "001763712001001-00000" in excinfo.value.message
    assert (clock.wall, clock.counter) == (T0, 4)


def test_observe_accepts_a_remote_wall_exactly_max_drift_ahead() -> None:
    clock = make_clock(wall=T0, max_drift_ms=1000)
    clock.observe(encode_clock(T0 + 1000, 0), T0)
    assert (clock.wall, clock.counter) == (T0 + 1000, 1)


def test_now_refuses_to_overflow_the_counter_and_leaves_the_clock_unchanged() -> None:
    clock = make_clock(wall=T0, counter=99_999)
    with pytest.raises(ClockError) as excinfo:
        clock.now(T0)
    assert excinfo.value.code == "counter_overflow"
    assert (clock.wall, clock.counter) == (T0, 99_999)
    assert clock.now(T0 + 1) == encode_clock(T0 + 1, 0)


def test_observe_refuses_to_overflow_the_counter() -> None:
    clock = make_clock(wall=T0, counter=5)
    with pytest.raises(ClockError, match="counter_overflow"):
        clock.observe(encode_clock(T0, 99_999), T0)
    assert (clock.wall, clock.counter) == (T0, 5)


def test_observe_rejects_a_malformed_remote_clock() -> None:
    with pytest.raises(ValueError, match="'17637120'"):
        make_clock().observe("17637120", T0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"replica": "Phone-1"}, "replica"),
        ({"replica": ""}, "replica"),
        ({"wall": -1}, "wall"),
        ({"counter": 100_000}, "counter"),
        ({"max_drift_ms": -1}, "max_drift_ms"),
    ],
    ids=["uppercase-replica", "empty-replica", "negative-wall", "counter-too-large", "negative-drift"],
)
def test_hybrid_clock_rejects_invalid_construction(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"replica": "k3v9x2m1p8q4r7t0"} | kwargs
    with pytest.raises(ValueError, match=match):
        HybridClock(**args)  # type: ignore[arg-type]


def test_now_rejects_physical_time_out_of_range() -> None:
    with pytest.raises(ValueError, match="physical_ms"):
        make_clock().now(-1)


def test_hybrid_clock_exposes_replica_wall_and_counter() -> None:
    clock = HybridClock("abc", wall=T0, counter=2)
    assert (clock.replica, clock.wall, clock.counter) == ("abc", T0, 2)
    assert "abc" in repr(clock)


events = st.lists(
    st.tuples(
        st.booleans(), st.integers(T0 - 5000, T0 + 5000), st.integers(T0 - 5000, T0 + 5000), st.integers(0, 5)
    ),
    max_size=30,
)


@given(events)
@PROPERTY
def test_every_local_stamp_is_greater_than_everything_seen_before(
    steps: list[tuple[bool, int, int, int]],
) -> None:
    clock = make_clock(wall=0)
    seen = encode_clock(0, 0)
    for is_receive, physical, remote_wall, remote_counter in steps:
        if is_receive:
            remote = encode_clock(remote_wall, remote_counter)
            clock.observe(remote, physical)
            seen = max(seen, remote)
        else:
            stamp = clock.now(physical)
            assert stamp > seen
            assert decode_clock(stamp)[0] >= physical
            seen = stamp
