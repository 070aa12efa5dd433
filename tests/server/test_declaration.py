"""The record-type declaration is the one source: the protocol document's §3.4 and the shared vectors are
generated from it and must be current; it stays inside the JSON Schema subset both validators implement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.domain import protocol_table, vectors
from server.domain.declaration import DECLARATION_PATH, RECORD_TYPES, load_declaration
from server.domain.ids import derived_record_id
from server.domain.schema_subset import SchemaSubsetError
from server.domain.workflow import progress
from sync import encode_clock

PROTOCOL = protocol_table.PROTOCOL.read_text(encoding="utf-8")
DAY = 24 * 3600 * 1000


def test_the_protocol_document_shows_the_declaration_as_it_is() -> None:
    section = PROTOCOL[PROTOCOL.index(protocol_table.BEGIN) : PROTOCOL.index(protocol_table.END)]
    assert section + protocol_table.END == protocol_table.render(), (
        "docs/sync-protocol.md §3.4 is stale: run python -m server.domain.protocol_table --write"
    )
    for name in RECORD_TYPES:
        assert f"#### `{name}`" in section


def test_the_shared_vectors_are_current() -> None:
    assert vectors.VECTORS_PATH.read_text(encoding="utf-8") == vectors.render(), (
        "server/domain/vectors.json is stale: run python -m server.domain.vectors --write"
    )


def test_the_derived_id_example_in_the_protocol_is_right() -> None:
    expected = derived_record_id("curtain_check", ["hh-0f3a9c2e5b7d", "2026-11-30"])
    assert f"id `{expected}`" in PROTOCOL


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "string", "pattern": "^a"}, "pattern"),
        ({"type": "number"}, "number"),
        ({"type": "string", "format": "email"}, "email"),
        ({"type": "object", "properties": {}, "additionalProperties": True}, "additionalProperties"),
        ({"type": "array", "items": {"oneOf": []}}, "oneOf"),
    ],
    ids=["pattern", "number", "format", "additional properties", "nested keyword"],
)
def test_a_declaration_outside_the_shared_subset_is_refused(
    tmp_path: Path, schema: object, problem: str
) -> None:
    raw = json.loads(DECLARATION_PATH.read_text(encoding="utf-8"))
    raw["types"]["visit"]["fields"]["notes"]["schema"] = schema
    path = tmp_path / "record-types.json"
    path.write_text(json.dumps(raw), encoding="utf-8")

    with pytest.raises(SchemaSubsetError, match=problem):
        load_declaration(path)


def test_every_sensitive_field_names_a_known_category() -> None:
    categories = {"health", "dispute", "income", "contact", "identity"}
    for record_type in RECORD_TYPES.values():
        for spec in [*record_type.fields.values(), *record_type.logs.values()]:
            assert spec.sensitive is None or spec.sensitive in categories, (record_type.name, spec.name)


def _entry(step: dict[str, object], at_ms: int) -> dict[str, object]:
    return {"value": step, "clock": encode_clock(at_ms, 0)}


def test_request_progress_follows_the_last_step_and_the_123_due_times() -> None:
    request, start = RECORD_TYPES["request"], 1_764_000_000_000
    assert progress(request, [], start).due == ("assign", start + DAY)
    assigned = [_entry({"step": "assign", "to": "物业"}, start + 3_600_000)]
    assert progress(request, assigned, start).due == ("reply", start + 3_600_000 + 2 * DAY)
    replied = [*assigned, _entry({"step": "reply", "notes": "已修"}, start + DAY)]
    happy = [*replied, _entry({"step": "return_visit", "satisfaction": "satisfied"}, start + 2 * DAY)]
    unhappy = [*replied, _entry({"step": "return_visit", "satisfaction": "unsatisfied"}, start + 2 * DAY)]
    assert (progress(request, happy, start).stage, progress(request, happy, start).closed) == (
        "return_visit",
        True,
    )
    assert progress(request, unhappy, start).closed is False
    assert progress(request, happy, start).stage_times["reply"] == start + DAY


async def test_the_app_is_served_the_same_declaration_and_precaches_it(client: object) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    served = await client.get("/record-types.json")
    assert served.status_code == 200
    assert served.content == DECLARATION_PATH.read_bytes()
    worker = await client.get("/sw.js")
    assert '"/record-types.json"' in worker.text
