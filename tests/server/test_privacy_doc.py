"""docs/privacy.md stays true: its data inventory is the declaration's, and it names every retention rule,
every audited read and every PIPL command."""

from __future__ import annotations

import pytest

from server.domain import privacy_table
from server.domain.declaration import RECORD_TYPES
from server.domain.retention import DEFAULT_RETENTION_DAYS
from server.services.read_audit import READ_KINDS

PRIVACY = privacy_table.PRIVACY.read_text(encoding="utf-8")


def test_the_data_inventory_is_what_the_declaration_says() -> None:
    start, end = PRIVACY.index(privacy_table.BEGIN), PRIVACY.index(privacy_table.END) + len(privacy_table.END)
    assert PRIVACY[start:end] == privacy_table.render(), (
        "docs/privacy.md is stale: run `python -m server.domain.privacy_table --write`"
    )


def test_every_sensitive_field_is_in_the_inventory_with_its_category() -> None:
    sensitive = [
        (record_type.name, spec)
        for record_type in RECORD_TYPES.values()
        for spec in [*record_type.fields.values(), *record_type.logs.values()]
        if spec.sensitive
    ]
    assert {spec.sensitive for _, spec in sensitive} == {"health", "dispute", "income", "contact", "identity"}
    for type_name, spec in sensitive:
        assert f"`{spec.name}` {spec.label['zh-CN']}" in PRIVACY, (type_name, spec.name)


@pytest.mark.parametrize("rule", list(DEFAULT_RETENTION_DAYS))
def test_every_retention_rule_and_its_default_is_documented(rule: str) -> None:
    assert f"| `{rule}` | {DEFAULT_RETENTION_DAYS[rule]} days" in PRIVACY


@pytest.mark.parametrize("kind", READ_KINDS)
def test_every_audited_read_is_documented(kind: str) -> None:
    assert f"`{kind}`" in PRIVACY


@pytest.mark.parametrize(
    "text",
    ["lianhu resident export", "lianhu resident erase", "lianhu retention run", "lianhu db restore",
     "lianhu db backup", "LIANHU_RETENTION_DAYS"],
)  # fmt: skip
def test_the_commands_and_the_setting_are_documented(text: str) -> None:
    assert text in PRIVACY
