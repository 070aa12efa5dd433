"""Words for records, read from their one declaration (``server/domain/record-types.json``): type, field and
log labels, value labels (``"values"`` of a field or log, a workflow's stage labels) and the stages lists
filter on (``records.stage``, ``server.domain.indexing``), in zh-CN or English.

Only the stages the index makes up itself (a visit's 已走访 / 未遇, a curtain check still open or being
escalated, a deleted record) are not in the declaration; their words are in the console's catalogues
(``stage.*``), passed in as ``t``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from server.domain.declaration import DECLARATION, RECORD_TYPES

__all__ = ["INDEX_STAGES", "STAGES", "field_label", "stage_label", "type_label", "value_label", "values_of"]

# The stages ``server.domain.indexing`` writes for each type, in the order a filter offers them.
INDEX_STAGES: Final[Mapping[str, tuple[str, ...]]] = {
    "visit": ("visited", "not_home"),
    "curtain_check": ("open", "escalating"),
    "mediation": (),
    "request": (),
    "household": (),
}


def _spec(record_type: str, name: str) -> Mapping[str, Any]:
    declared = DECLARATION["types"].get(record_type, {})
    found: Mapping[str, Any] = (
        declared.get("fields", {}).get(name) or declared.get("logs", {}).get(name) or {}
    )
    return found


def _pick(labels: Mapping[str, str], lang: str, fallback: str) -> str:
    return labels.get(lang) or labels.get("zh-CN") or fallback


def type_label(record_type: str, lang: str) -> str:
    kind = RECORD_TYPES.get(record_type)
    return _pick(kind.label, lang, record_type) if kind else record_type


def field_label(record_type: str, name: str, lang: str) -> str:
    return _pick(_spec(record_type, name).get("label", {}), lang, name)


def values_of(record_type: str, name: str) -> Mapping[str, Mapping[str, str]]:
    """A field's or log's value labels: code → {lang: words}."""
    values: Mapping[str, Mapping[str, str]] = _spec(record_type, name).get("values", {})
    workflow = RECORD_TYPES[record_type].workflow if record_type in RECORD_TYPES else None
    if workflow is not None and name == workflow.log:
        stages = {stage: dict(spec.label) for stage, spec in workflow.stages.items()}
        return {**stages, **values}
    return values


def value_label(record_type: str, name: str, code: object, lang: str) -> str:
    """The words for ``code`` in field or log ``name``, or the code itself when it has none."""
    text = str(code)
    labels = values_of(record_type, name).get(text)
    return _pick(labels, lang, text) if labels else text


def _declared_stages(record_type: str) -> tuple[str, ...]:
    kind = RECORD_TYPES[record_type]
    if kind.workflow is not None:
        return tuple(kind.workflow.stages)
    if "outcome" in kind.fields:
        return tuple(values_of(record_type, "outcome"))
    return ()


# Every stage a record of each type can be in (``deleted`` aside), for the stage filter.
STAGES: Final[Mapping[str, tuple[str, ...]]] = {
    name: (*INDEX_STAGES.get(name, ()), *_declared_stages(name)) for name in RECORD_TYPES
}


def stage_label(record_type: str, stage: str | None, lang: str, t: Callable[..., str]) -> str:
    if not stage:
        return ""
    if stage == "deleted" or stage in INDEX_STAGES.get(record_type, ()):
        return t(f"stage.{stage}")
    kind = RECORD_TYPES.get(record_type)
    if kind is not None and kind.workflow is not None:
        return value_label(record_type, kind.workflow.log, stage, lang)
    return value_label(record_type, "outcome", stage, lang)
