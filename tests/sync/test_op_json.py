from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given

from sync import JSON, Op, canonical_json, op_digest, op_to_json
from tests.sync.factories import make_op
from tests.sync.strategies import PROPERTY, json_values


def test_canonical_json_sorts_keys_without_spaces_and_keeps_unicode() -> None:
    assert canonical_json({"b": [1, 2.5, None], "a": {"说明": "第3网格", "z": True}}) == (
        '{"a":{"z":true,"说明":"第3网格"},"b":[1,2.5,null]}'
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")], ids=["nan", "inf", "-inf"])
def test_canonical_json_rejects_non_finite_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": value})


@given(json_values)
@PROPERTY
def test_canonical_json_is_stable_through_a_decode(value: JSON) -> None:
    text = canonical_json(value)
    assert canonical_json(json.loads(text)) == text


@given(json_values)
@PROPERTY
def test_canonical_json_ignores_key_insertion_order(value: JSON) -> None:
    def reversed_keys(v: JSON) -> JSON:
        if isinstance(v, dict):
            return {k: reversed_keys(v[k]) for k in reversed(list(v))}
        if isinstance(v, list):
            return [reversed_keys(item) for item in v]
        return v

    assert canonical_json(reversed_keys(value)) == canonical_json(value)


@pytest.mark.parametrize(
    ("op", "extra_keys"),
    [
        (make_op(kind="set"), {"fields"}),
        (make_op(kind="append"), {"field", "value"}),
        (make_op(kind="append", value=None), {"field", "value"}),
        (make_op(kind="delete"), set()),
        (make_op(kind="restore"), set()),
        (make_op(author=7), {"fields", "author"}),
    ],
    ids=["set", "append", "append-null", "delete", "restore", "with-author"],
)
def test_op_to_json_emits_exactly_the_keys_of_the_kind(op: Op, extra_keys: set[str]) -> None:
    common = {"id", "record", "type", "household", "clock", "replica", "kind"}
    assert set(op_to_json(op)) == common | extra_keys


def test_op_digest_ignores_author_and_sees_everything_else() -> None:
    op = make_op()
    assert op_digest(op.with_author(7)) == op_digest(op)
    assert op_digest(make_op(fields={"notes": "other"})) != op_digest(op)
    assert op_digest(make_op(fields={"notes": 1})) != op_digest(make_op(fields={"notes": True}))
    assert op_digest(make_op(fields={"notes": 1})) != op_digest(make_op(fields={"notes": 1.0}))


def test_op_digest_is_sha256_of_the_canonical_json_without_author() -> None:
    op_id, record = "019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21", "019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69"
    op = make_op(kind="delete", id=op_id, record=record, author=3)
    text = (
        '{"clock":"001763712000000-00000","household":"hh-0f3a9c2e5b7d",'
        f'"id":"{op_id}","kind":"delete","record":"{record}","replica":"k3v9x2m1p8q4r7t0","type":"visit"}}'
    )
    assert op_digest(op) == hashlib.sha256(text.encode()).hexdigest()


def test_with_author_returns_a_copy_stamped_with_the_member() -> None:
    op = make_op()
    stamped = op.with_author(7)
    assert (stamped.author, op.author) == (7, None)
    assert stamped.with_author(9).author == 9


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"kind": "update"}, "kind"),
        ({"kind": "set", "fields": None}, "fields"),
        ({"kind": "delete", "fields": {"a": 1}}, "fields"),
        ({"kind": "append", "field": None}, "field"),
        ({"kind": "restore", "value": 1}, "value"),
    ],
    ids=[
        "unknown-kind",
        "set-without-fields",
        "delete-with-fields",
        "append-without-field",
        "restore-with-value",
    ],
)
def test_op_refuses_a_shape_that_does_not_fit_its_kind(overrides: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_op(**overrides)
