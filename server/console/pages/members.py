"""Page 6, members and devices: the list of the coordinator's members, adding one, and one member's page."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from server.console.context import Console, action, page
from server.console.dates import parse_day, started_at, today
from server.console.services.member_page import PAGE_SIZE, MemberFilter, member_list, member_view
from server.console.services.permissions import NotAllowed, check_new_placement
from server.console.services.tree import area_options
from server.models import Role
from server.routes.common import store_of
from server.services.members import ROLE_LEVELS, MemberError, add_member

__all__ = ["member_create", "member_detail", "member_new", "members_list"]

STATUSES = {"active": True, "inactive": False, "all": None}
# What a change did, for the notice on the member's page after the redirect (never user input in the URL).
DONE = ("added", "assigned", "ended", "moved", "deactivated", "revoked", "linked", "unlinked")


def _int(params: QueryParams, name: str) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def _role(value: str | None) -> Role | None:
    return Role(value) if value in {role.value for role in Role} else None


@page
async def members_list(console: Console) -> Response:
    params = console.request.query_params
    status = params.get("status", "active")
    wanted = MemberFilter(
        area=_int(params, "area"), role=_role(params.get("role")), active=STATUSES.get(status, True),
        search=params.get("q", "")[:64], page=_int(params, "page") or 1,
    )  # fmt: skip
    async with store_of(console.request).read() as session:
        rows, total = await member_list(session, console.scope, wanted)
        options = await area_options(session, console.scope)
    pages = max(1, -(-total // PAGE_SIZE))

    def page_link(number: int) -> str:
        query = [(k, v) for k, v in params.multi_items() if k not in ("page", "lang")]
        return "?" + urlencode([*query, ("page", str(number))])

    return await console.render(
        "members.html", nav="members", rows=rows, total=total, wanted=wanted, status=status,
        options=options, roles=list(Role), page_count=pages, page_link=page_link,
    )  # fmt: skip


async def _form_page(
    console: Console, values: dict[str, str], *, error: str = "", status_code: int = 200
) -> Response:
    if not console.scope.may_manage:
        raise NotAllowed(f"a {console.scope.role.value} cannot add members")
    async with store_of(console.request).read() as session:
        options = await area_options(session, console.scope)
    roles = console.scope.grantable_roles()
    levels = {role.value: (level.value if level else "") for role, level in ROLE_LEVELS.items()}
    return await console.render(
        "member_new.html", nav="members", values=values, error=error, roles=roles, levels=levels,
        options=options, today=today(console.now).isoformat(), status_code=status_code,
    )  # fmt: skip


@page
async def member_new(console: Console) -> Response:
    return await _form_page(
        console, {"role": Role.MEMBER.value, "area": console.request.query_params.get("area", "")}
    )


@action
async def member_create(console: Console) -> Response:
    form = console.form
    values = {name: form.get(name) for name in ("name", "phone", "role", "area", "started")}
    role = _role(values["role"])
    area = form.get_int("area")
    try:
        if role is None:
            raise MemberError("invalid_role", f"unknown role {values['role']!r}", "角色无效")
        areas = [] if ROLE_LEVELS[role] is None or area is None else [area]
        check_new_placement(console.scope, role, areas)
        start = started_at(parse_day(values["started"], console.now), console.now)
        async with store_of(console.request).write() as session:
            member = await add_member(
                session, name=values["name"], phone=values["phone"], role=role, area_ids=areas, now=start,
                by=console.principal.member_id, client=console.client,
            )  # fmt: skip
            member_id = member.id
    except MemberError as error:
        status = int(getattr(error, "status_code", 400))
        return await _form_page(console, values, error=console.error_text(error), status_code=status)
    return RedirectResponse(f"/console/members/{member_id}?done=added", status_code=303)


@page
async def member_detail(console: Console) -> Response:
    member_id = int(console.request.path_params["member_id"])
    async with store_of(console.request).read() as session:
        view = await member_view(session, console.scope, member_id)
        options = await area_options(session, console.scope)
    done = console.request.query_params.get("done")
    return await console.render(
        "member.html", nav="members", view=view, done=done if done in DONE else None,
        options=[o for o in options if o.level == view.area_level],
        today=today(console.now).isoformat(),
    )  # fmt: skip
