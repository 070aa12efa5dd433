"""Households 住户 and the curtain round 窗帘行动: the list, a household's panel (flag, linked members, care
level — ops through push) and the communities' morning deadlines."""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from starlette.responses import RedirectResponse, Response

from server.console.context import Console, action, page
from server.console.services.console_ops import limits_of
from server.console.services.household_admin import (
    PAGE_SIZE,
    HouseholdFilter,
    community_deadlines,
    household_list,
    household_view,
    set_community_deadline,
    set_household,
)
from server.console.services.labels import Labels
from server.console.services.tree import area_options
from server.console.services.work_areas import area_tree
from server.models.household import CARE_LEVELS
from server.routes.common import settings_of, store_of
from server.services.audit import audit

__all__ = ["deadline_set", "household_detail", "household_save", "households_page"]

DONE = ("saved", "unchanged", "deadline")


def _int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


@page
async def households_page(console: Console) -> Response:
    params = console.request.query_params
    wanted = HouseholdFilter(
        area=_int(params.get("area", "")), round_only=params.get("round") == "1",
        search=params.get("q", "").strip()[:64], page=_int(params.get("page", "")) or 1,
    )  # fmt: skip
    settings = settings_of(console.request)
    async with store_of(console.request).read() as session:
        tree = await area_tree(session, console.scope, console.principal)
        rows, total = await household_list(session, tree.grids_under(wanted.area), wanted)
        deadlines = await community_deadlines(session, console.scope)
        options = await area_options(session, console.scope)
    pages = max(1, -(-total // PAGE_SIZE))

    def page_link(number: int) -> str:
        query = [(k, v) for k, v in params.multi_items() if k not in ("page", "lang", "done")]
        return "?" + urlencode([*query, ("page", str(number))])

    done = params.get("done")
    return await console.render(
        "households.html", nav="households", rows=rows, total=total, wanted=wanted, options=options,
        deadlines=deadlines, default_deadline=settings.curtain_deadline, labels=Labels(console.lang),
        page_count=pages, page_link=page_link, done=done if done in DONE else None,
        selected_area=wanted.area, tree_href="/console/households",
    )  # fmt: skip


@page
async def household_detail(console: Console) -> Response:
    household_id = str(console.request.path_params["household_id"])
    settings = settings_of(console.request)
    async with store_of(console.request).read() as session:
        view = await household_view(session, console.principal, household_id, settings.curtain_deadline)
    # A household's page shows its people's details (head, phone, residents): audited like a record's.
    async with store_of(console.request).write() as session:
        await audit(
            session, "household_viewed", member_id=console.principal.member_id,
            device_id=console.principal.device_id, client=console.client, household=household_id,
        )  # fmt: skip
    done = console.request.query_params.get("done")
    return await console.render(
        "household.html", nav="households", view=view, care_levels=CARE_LEVELS, labels=Labels(console.lang),
        done=done if done in DONE else None, tree_href="/console/households",
    )  # fmt: skip


@action
async def household_save(console: Console) -> Response:
    household_id = str(console.request.path_params["household_id"])
    form = console.form
    linked = [n for n in (_int(v) for v in form.fields.get("covered_by", [])) if n is not None]
    settings = settings_of(console.request)
    async with store_of(console.request).write_ops() as session:  # the transaction a push runs in
        written = await set_household(
            session, console.principal, household_id, curtain_round=form.get("curtain_round") == "1",
            covered_by=linked, care_level=form.get("care_level"), limits=limits_of(settings),
            now_ms=time.time_ns() // 1_000_000, client=console.client,
        )  # fmt: skip
    if written is not None:
        written.check()  # after the commit: a refusal is audited by push, as a phone's is
    done = "saved" if written is not None else "unchanged"
    return RedirectResponse(f"/console/households/{quote(household_id)}?done={done}", status_code=303)


@action
async def deadline_set(console: Console) -> Response:
    area_id = int(console.request.path_params["area_id"])
    async with store_of(console.request).write() as session:
        await set_community_deadline(
            session, console.scope, area_id=area_id, deadline=console.form.get("deadline"),
            client=console.client,
        )  # fmt: skip
    return RedirectResponse("/console/households?done=deadline#deadlines", status_code=303)
