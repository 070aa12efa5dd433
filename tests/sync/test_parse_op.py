from __future__ import annotations

import pytest

from sync import Op, OpError, op_to_json, parse_op
from tests.sync.factories import RECORD, make_id, make_op_json


def deep(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "obj",
    [
        make_op_json(),
        make_op_json(fields={"date": "2025-11-21", "items": ["policy"], "notes": None, "request": "修路灯"}),
        make_op_json(kind="append", drop=("fields",), field="comments", value=None),
        make_op_json(kind="append", drop=("fields",), field="comments", value={"a": [1, 2.5, True, None]}),
        make_op_json(kind="delete", drop=("fields",)),
        make_op_json(kind="restore", drop=("fields",)),
        make_op_json(household="七里河社区/3网格/12号", replica="0" * 32, type="a" + "_" * 31),
        make_op_json(fields={"a" * 64: deep(64)}),
    ],
    ids=[
        "set",
        "set-several-fields",
        "append-null",
        "append-nested",
        "delete",
        "restore",
        "edge-names",
        "longest-field-name-and-deepest-value",
    ],
)
def test_parse_op_accepts_valid_ops_and_round_trips_them(obj: dict[str, object]) -> None:
    op = parse_op(obj)
    assert isinstance(op, Op)
    assert op_to_json(op) == obj


def test_parse_op_accepts_author_when_allowed() -> None:
    op = parse_op(make_op_json(author=7), allow_author=True)
    assert op.author == 7
    assert op_to_json(op)["author"] == 7


def test_parse_op_treats_author_as_optional_when_allowed() -> None:
    assert parse_op(make_op_json(), allow_author=True).author is None


def test_parse_op_copies_json_values_so_later_changes_to_the_input_do_not_leak() -> None:
    items = ["policy"]
    obj = make_op_json(fields={"items": items})
    op = parse_op(obj)
    items.append("safety")
    assert op.fields == {"items": ["policy"]}


def with_int_key(obj: dict[str, object]) -> dict[object, object]:
    result: dict[object, object] = {1: "x"}
    result.update(obj)
    return result


REJECTIONS = [
    ("not-an-object", ["op"], False, "invalid_op", "JSON object"),
    ("null", None, False, "invalid_op", "JSON object"),
    ("non-string-key", with_int_key(make_op_json()), False, "invalid_op", "1"),
    ("author-from-client", make_op_json(author=7), False, "author_not_allowed", "'author'"),
    ("author-not-int", make_op_json(author="7"), True, "invalid_op", "'author'"),
    ("author-bool", make_op_json(author=True), True, "invalid_op", "'author'"),
    ("author-float", make_op_json(author=7.0), True, "invalid_op", "'author'"),
    ("missing-kind", make_op_json(drop=("kind",)), False, "invalid_op", "'kind'"),
    ("unknown-kind", make_op_json(kind="update"), False, "invalid_op", "'update'"),
    ("kind-not-string", make_op_json(kind=1), False, "invalid_op", "'kind'"),
    ("unknown-key", make_op_json(extra=1), False, "invalid_op", "'extra'"),
    ("missing-id", make_op_json(drop=("id",)), False, "invalid_op", "'id'"),
    ("missing-record", make_op_json(drop=("record",)), False, "invalid_op", "'record'"),
    ("missing-type", make_op_json(drop=("type",)), False, "invalid_op", "'type'"),
    ("missing-household", make_op_json(drop=("household",)), False, "invalid_op", "'household'"),
    ("missing-clock", make_op_json(drop=("clock",)), False, "invalid_op", "'clock'"),
    ("missing-replica", make_op_json(drop=("replica",)), False, "invalid_op", "'replica'"),
    ("set-missing-fields", make_op_json(drop=("fields",)), False, "invalid_op", "'fields'"),
    ("set-with-field", make_op_json(field="notes"), False, "invalid_op", "'field'"),
    ("set-with-value", make_op_json(value=1), False, "invalid_op", "'value'"),
    (
        "append-missing-value",
        make_op_json(kind="append", drop=("fields",), field="log"),
        False,
        "invalid_op",
        "'value'",
    ),
    (
        "append-missing-field",
        make_op_json(kind="append", drop=("fields",), value=1),
        False,
        "invalid_op",
        "'field'",
    ),
    (
        "append-with-fields",
        make_op_json(kind="append", field="log", value=1),
        False,
        "invalid_op",
        "'fields'",
    ),
    ("delete-with-fields", make_op_json(kind="delete"), False, "invalid_op", "'fields'"),
    (
        "restore-with-value",
        make_op_json(kind="restore", drop=("fields",), value=None),
        False,
        "invalid_op",
        "'value'",
    ),
    ("id-uppercase", make_op_json(id=make_id(1).upper()), False, "invalid_op", "'id'"),
    ("id-version-4", make_op_json(id="019aa5e2-3c41-4a10-8d2e-5b1f0c9e7a21"), False, "invalid_op", "'id'"),
    ("id-not-string", make_op_json(id=17), False, "invalid_op", "'id'"),
    ("record-not-uuid7", make_op_json(record=RECORD[:-1]), False, "invalid_op", "'record'"),
    ("clock-malformed", make_op_json(clock="1763712000000-0"), False, "invalid_op", "'clock'"),
    ("clock-not-string", make_op_json(clock=1763712000000), False, "invalid_op", "'clock'"),
    ("replica-uppercase", make_op_json(replica="K3V9"), False, "invalid_op", "'replica'"),
    ("replica-too-long", make_op_json(replica="a" * 33), False, "invalid_op", "'replica'"),
    ("replica-empty", make_op_json(replica=""), False, "invalid_op", "'replica'"),
    ("type-uppercase", make_op_json(type="Visit"), False, "invalid_op", "'type'"),
    ("type-leading-digit", make_op_json(type="1visit"), False, "invalid_op", "'type'"),
    ("type-too-long", make_op_json(type="a" * 33), False, "invalid_op", "'type'"),
    ("household-empty", make_op_json(household=""), False, "invalid_op", "'household'"),
    ("household-too-long", make_op_json(household="户" * 65), False, "invalid_op", "'household'"),
    ("household-not-string", make_op_json(household=12), False, "invalid_op", "'household'"),
    ("household-lone-surrogate", make_op_json(household="hh\ud800"), False, "invalid_op", "'household'"),
    ("household-nul", make_op_json(household="hh\x00"), False, "invalid_op", "'household'"),
    ("field-value-nul", make_op_json(fields={"notes": "a\x00b"}), False, "invalid_op", "U+0000"),
    ("fields-not-object", make_op_json(fields=["notes"]), False, "invalid_op", "'fields'"),
    ("fields-empty", make_op_json(fields={}), False, "invalid_op", "'fields'"),
    ("field-name-uppercase", make_op_json(fields={"Notes": 1}), False, "invalid_op", "'Notes'"),
    ("field-name-leading-digit", make_op_json(fields={"1a": 1}), False, "invalid_op", "'1a'"),
    ("field-name-too-long", make_op_json(fields={"a" * 65: 1}), False, "invalid_op", "'aaaa"),
    (
        "append-field-name-bad",
        make_op_json(kind="append", drop=("fields",), field="Log", value=1),
        False,
        "invalid_op",
        "'field'",
    ),
    (
        "append-field-not-string",
        make_op_json(kind="append", drop=("fields",), field=None, value=1),
        False,
        "invalid_op",
        "'field'",
    ),
    ("value-nan", make_op_json(fields={"notes": float("nan")}), False, "invalid_op", "fields.notes"),
    (
        "value-infinity",
        make_op_json(fields={"notes": [float("inf")]}),
        False,
        "invalid_op",
        "fields.notes[0]",
    ),
    ("value-non-string-key", make_op_json(fields={"notes": {1: "x"}}), False, "invalid_op", "fields.notes"),
    ("value-tuple", make_op_json(fields={"notes": ("a",)}), False, "invalid_op", "fields.notes"),
    ("value-bytes", make_op_json(fields={"notes": b"x"}), False, "invalid_op", "fields.notes"),
    ("value-lone-surrogate", make_op_json(fields={"notes": "\udc00"}), False, "invalid_op", "surrogate"),
    ("value-too-deep", make_op_json(fields={"notes": deep(65)}), False, "invalid_op", "deeper than 64"),
    (
        "append-value-nan",
        make_op_json(kind="append", drop=("fields",), field="log", value=float("nan")),
        False,
        "invalid_op",
        "value",
    ),
]


@pytest.mark.parametrize(
    ("obj", "allow_author", "code", "named"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_parse_op_rejects_with_a_code_and_a_message_naming_the_problem(
    obj: object, allow_author: bool, code: str, named: str
) -> None:
    with pytest.raises(OpError) as excinfo:
        parse_op(obj, allow_author=allow_author)
    assert excinfo.value.code == code
    assert named in excinfo.value.message


def test_parse_op_message_for_a_wrong_key_lists_the_expected_keys() -> None:
    with pytest.raises(OpError) as excinfo:
        parse_op(make_op_json(kind="delete"))
    assert excinfo.value.message == (
        "unknown key 'fields' in a delete op; "
        "expected the keys clock, household, id, kind, record, replica, type, "
        "got clock, fields, household, id, kind, record, replica, type"
    )


def test_parse_op_message_quotes_the_bad_value() -> None:
    with pytest.raises(OpError) as excinfo:
        parse_op(make_op_json(replica="Phone 1"))
    assert excinfo.value.message == "key 'replica' must match [0-9a-z]{1,32}, got 'Phone 1'"


def test_parse_op_error_string_carries_code_and_message() -> None:
    with pytest.raises(OpError, match=r"^invalid_op: missing key 'kind'"):
        parse_op({})
