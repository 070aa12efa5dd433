"""Retention (issue 9, PIPL): at a fixed clock, ``run_retention`` erases exactly the records whose period
is over — by their own date for visits and curtain checks, by the server's receipt of their last op for
closed requests, mediations and deleted records — and nothing else; a dry run only counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.db import Store
from server.domain.retention import DEFAULT_RETENTION_DAYS, parse_retention
from server.services.retention import run_retention
from server.settings import Settings, SettingsError
from tests.server.erasure_support import (
    accepted,
    age_record,
    audit_events,
    closed_request,
    count_ops,
    curtain_check,
    household_record,
    is_erased,
    mediation,
    op_kinds,
    register,
    visit,
)
from tests.server.factories import World

NOW = datetime(2030, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
LONG_AGO = NOW - timedelta(days=2000)


async def test_retention_erases_exactly_the_expired_records(
    client: httpx.AsyncClient, world: World, store: Store, settings: Settings
) -> None:
    alice, dora = world.alice, world.dora
    a0, a1, a2 = world.households_a
    # visit 1095 days from its date: 2027-06-02 is the first date kept at NOW.
    old_visit = await accepted(client, alice, visit(alice, a0, "2027-06-01"))
    new_visit = await accepted(client, alice, visit(alice, a0, "2027-06-02"))
    # curtain check 400 days from its date: 2029-04-27 is the first kept.
    old_check = await accepted(client, alice, curtain_check(alice, a1, "2029-04-26"))
    new_check = await accepted(client, alice, curtain_check(alice, a1, "2029-04-27"))
    # request 1095 days after its closing: an old closed one goes; an old open one, a recent closed one stay.
    old_closed = await closed_request(client, alice, dora, a2)
    old_open = await closed_request(client, alice, dora, a2, close=False)
    new_closed = await closed_request(client, alice, dora, a2)
    # mediation 1825 days after its last change.
    old_mediation = await accepted(client, alice, mediation(alice, a0, [alice.member_id]))
    new_mediation = await accepted(client, alice, mediation(alice, a0, [alice.member_id]))
    # deleted 30 days after its last change, whatever its date.
    deleted = await accepted(client, alice, visit(alice, a1, "2030-05-01"))
    tombstone = alice.op(household=a1, record=deleted, kind="delete")
    del tombstone["fields"]
    await accepted(client, alice, tombstone)
    # A household's own record is never erased by retention, however old.
    household = await accepted(client, dora, household_record(dora, a0, phone="13812345678"))
    for record_id in (old_closed, old_open, old_mediation, household):
        await age_record(store, record_id, LONG_AGO)
    await age_record(store, new_closed, NOW - timedelta(days=1094))
    await age_record(store, new_mediation, NOW - timedelta(days=1824))
    await age_record(store, deleted, NOW - timedelta(days=31))
    ops_before = await count_ops(store)

    dry = await run_retention(store, settings.retention, now=NOW, dry_run=True)

    expected = {
        "visit": 1, "curtain_check": 1, "request": 1, "mediation": 1, "deleted": 1,
    }  # fmt: skip
    assert dry.counts == expected and dry.dry_run and dry.erased == []
    assert await count_ops(store) == ops_before and await register(store) == []

    report = await run_retention(store, settings.retention, now=NOW)

    gone = {old_visit, old_check, old_closed, old_mediation, deleted}
    kept = {new_visit, new_check, old_open, new_closed, new_mediation, household}
    assert set(report.erased) == gone and report.counts == expected
    for record_id in gone:
        assert await is_erased(store, record_id), record_id
        assert await op_kinds(store, record_id) == ["erase"], record_id
    for record_id in kept:
        assert not await is_erased(store, record_id), record_id
        assert "erase" not in await op_kinds(store, record_id), record_id
    reasons = {entry.record_id: entry.reason for entry in await register(store)}
    assert reasons == {record_id: "deleted" if record_id == deleted else "retention" for record_id in gone}
    (event,) = await audit_events(store, "retention_erased")
    assert event.detail["total"] == 5 and event.detail["counts"] == expected

    again = await run_retention(store, settings.retention, now=NOW)
    assert again.total == 0 and again.erased == []
    assert len(await audit_events(store, "retention_erased")) == 1


async def test_a_rule_of_zero_days_keeps_that_kind_for_ever(
    client: httpx.AsyncClient, world: World, store: Store
) -> None:
    record = await accepted(client, world.alice, visit(world.alice, world.households_a[0], "2020-01-01"))
    days = parse_retention("visit=0")

    report = await run_retention(store, days, now=NOW)

    assert report.total == 0 and not await is_erased(store, record)


def test_the_setting_overrides_some_rules_and_keeps_the_other_defaults() -> None:
    settings = Settings(retention_days="visit=730, deleted=7")
    assert settings.retention == {**DEFAULT_RETENTION_DAYS, "visit": 730, "deleted": 7}
    assert Settings().retention == dict(DEFAULT_RETENTION_DAYS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("visits=30", "unknown rule 'visits'"),
        ("visit=-1", "whole number of days"),
        ("visit=1y", "whole number of days"),
        ("household=30", "resident's request"),
    ],
    ids=["unknown-rule", "negative", "not-a-number", "household"],
)
def test_a_bad_retention_setting_is_refused_naming_the_entry(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"LIANHU_RETENTION_DAYS": value, "LIANHU_SECRET_KEY": "k" * 40})
