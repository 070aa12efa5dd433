"""Steps the Today, household-page and accessibility tests share: a colleague's device that records through
the API (as a second phone would), opening a household, and measuring what a member over 60 has to read
and tap. Everything else goes through ``phone.py``."""

from __future__ import annotations

import datetime
import os
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import Server
from phone import by_testid
from playwright.sync_api import Page, expect


def shanghai_today() -> str:
    """Today where the phones are (the browser contexts run in Asia/Shanghai)."""
    return datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date().isoformat()


def uuid7() -> str:
    """A UUIDv7 as the protocol wants ids (§3.2): 48 bits of milliseconds, then random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass
class Colleague:
    """A member of the same grid recording from their own device through the API."""

    member_id: int
    token: str
    device: str

    def push(self, server: Server, *ops: dict[str, Any]) -> None:
        status, answer = server.api("POST", "/api/sync/push", token=self.token, body={"ops": list(ops)})
        assert status == 200, answer
        assert [r["status"] for r in answer["results"]] == ["accepted"] * len(ops), answer

    def op(self, *, record: str, type_: str, household: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": uuid7(),
            "record": record,
            "type": type_,
            "household": household,
            "clock": f"{int(time.time() * 1000):015d}-00000",
            "replica": self.device,
            "kind": "set",
            "fields": fields,
        }

    def visit(self, server: Server, household: str, date: str) -> str:
        record = uuid7()
        self.push(server, self.op(record=record, type_="visit", household=household,
                                  fields={"date": date, "items": ["care"], "notes": "同事走访"}))  # fmt: skip
        return record


def colleague(server: Server, name: str, grid: int) -> Colleague:
    member = server.add_member(name, grid)
    token = server.enroll_token(member["id"], label=f"{name}的手机")
    status, me = server.api("GET", "/api/me", token=token)
    assert status == 200, me
    return Colleague(member_id=member["id"], token=token, device=me["device"]["id"])


def open_household(page: Page, household_id: str) -> None:
    """住户 tab → the household's card → its page."""
    page.locator(by_testid("tab-households")).click()
    page.locator(
        f'{by_testid("household-item")}[data-id="{household_id}"] {by_testid("household-open")}'
    ).click()
    expect(page.locator(f'{by_testid("household-screen")}[data-id="{household_id}"]')).to_be_visible()
    expect(page.locator(by_testid("household-page-address"))).to_be_visible()


MEASURE = (Path(__file__).with_name("accessibility.js")).read_text(encoding="utf-8")


def accessibility_problems(page: Page) -> tuple[list[str], int, int]:
    """Every text under 16 px or under 4.5:1 contrast and every tap target under 48 × 48 px on the page
    as it is now (the whole page, not only what is scrolled into view); also how many were measured."""
    result: dict[str, Any] = page.evaluate(MEASURE)
    return list(result["problems"]), int(result["texts"]), int(result["targets"])
