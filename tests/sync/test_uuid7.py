from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import is_uuid7, uuid7
from tests.sync.strategies import PROPERTY

MS = 1_763_712_000_000


def test_uuid7_puts_the_ms_timestamp_in_the_first_48_bits() -> None:
    text = uuid7(ms=MS, rand=bytes(10))
    assert text == f"{MS:012x}"[:8] + "-" + f"{MS:012x}"[8:] + "-7000-8000-000000000000"


def test_uuid7_uses_the_low_74_bits_of_rand() -> None:
    assert uuid7(ms=0, rand=b"\xff" * 10) == "00000000-0000-7fff-bfff-ffffffffffff"


@given(st.integers(0, 2**48 - 1), st.binary(min_size=10, max_size=10))
@PROPERTY
def test_uuid7_is_a_version_7_rfc_9562_uuid(ms: int, rand: bytes) -> None:
    text = uuid7(ms=ms, rand=rand)
    parsed = uuid.UUID(text)
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert str(parsed) == text
    assert parsed.int >> 80 == ms
    assert is_uuid7(text)


@given(st.integers(0, 2**48 - 2), st.binary(min_size=10, max_size=10), st.binary(min_size=10, max_size=10))
@PROPERTY
def test_uuid7_sorts_by_creation_ms(ms: int, rand1: bytes, rand2: bytes) -> None:
    assert uuid7(ms=ms, rand=rand1) < uuid7(ms=ms + 1, rand=rand2)


def test_uuid7_defaults_to_now_and_fresh_randomness() -> None:
    first, second = uuid7(), uuid7()
    assert is_uuid7(first) and is_uuid7(second)
    assert first != second


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ms": -1}, "ms"),
        ({"ms": 2**48}, "ms"),
        ({"rand": bytes(9)}, "rand"),
        ({"rand": bytes(11)}, "rand"),
    ],
    ids=["negative-ms", "ms-too-large", "rand-too-short", "rand-too-long"],
)
def test_uuid7_rejects_out_of_range_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        uuid7(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "019AA5E2-3C41-7A10-8D2E-5B1F0C9E7A21",
        "019aa5e2-3c41-4a10-8d2e-5b1f0c9e7a21",
        "019aa5e2-3c41-7a10-cd2e-5b1f0c9e7a21",
        "019aa5e23c417a108d2e5b1f0c9e7a21",
        "{019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21}",
        "019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21\n",
        "",
    ],
    ids=["uppercase", "version-4", "wrong-variant", "no-dashes", "braces", "trailing-newline", "empty"],
)
def test_is_uuid7_rejects_anything_but_lowercase_canonical_v7(text: str) -> None:
    assert not is_uuid7(text)


def test_is_uuid7_rejects_non_strings() -> None:
    assert not is_uuid7(uuid.UUID("019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21"))  # type: ignore[arg-type]


def test_is_uuid7_accepts_the_protocol_example() -> None:
    assert is_uuid7("019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21")
