"""The console's frame: who gets in, the login page, CSRF and origin, the CSP, languages, errors as pages."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from server.app import CONTENT_SECURITY_POLICY
from server.console.i18n import CATALOGUES
from server.console.pages.members import DONE
from server.db import Store
from server.domain.record_types import RECORD_TYPES
from server.models import Member, Role
from server.services.audit import KINDS
from server.settings import Settings
from tests.server.conftest import ORIGIN
from tests.server.console_support import (
    browser,
    console_get,
    console_post,
    has_marked,
    make_town,
    person,
)
from tests.server.factories import Phone

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "console" / "templates"


async def dora_and_alice(store: Store, settings: Settings) -> tuple[Phone, Phone]:
    """In a fresh town: Dora, coordinator of community 1, and Alice, a member of its grid A."""
    town = await make_town(store)
    dora = await person(store, settings, town, "刘芳", Role.COMMUNITY)
    alice = await person(store, settings, town, "李华", Role.MEMBER)
    return dora, alice


async def test_without_a_session_a_console_page_sends_the_browser_to_the_login_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/console/members")

    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Fmembers"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.MEMBER, False), (Role.LIAISON, False), (Role.GRID_LEADER, True), (Role.COMMUNITY, True),
     (Role.STREET, True), (Role.ADMIN, True)],
    ids=lambda value: value.value if isinstance(value, Role) else str(value),
)  # fmt: skip
async def test_the_console_is_for_grid_leaders_and_coordinators_only(
    client: httpx.AsyncClient, store: Store, settings: Settings, role: Role, allowed: bool
) -> None:
    town = await make_town(store)
    caller = await person(store, settings, town, "来访者", role)

    pages = [await console_get(client, caller, path) for path in ("/console/", "/console/members")]

    for page in pages:
        assert page.status_code == (200 if allowed else 403)
        assert has_marked(page.text, "not-for-role") is not allowed
    if not allowed:
        assert "网格长、社区和街道" in pages[0].text and "/console/login?switch=1" in pages[0].text


async def test_every_console_page_has_the_apps_csp_no_inline_script_or_style_and_no_cache(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    dora, alice = await dora_and_alice(store, settings)
    pages = [
        await console_get(client, dora, path)
        for path in (
            "/console/",
            "/console/members",
            "/console/members/new",
            f"/console/members/{alice.member_id}",
        )
    ]
    pages += [
        await console_post(client, dora, f"/console/members/{alice.member_id}/codes", {"purpose": "enroll"}),
        await client.get("/console/login"),
        await console_get(client, alice, "/console/"),
        await client.get("/console/no-such-page"),
    ]

    for page in pages:
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        assert "<style" not in html and not re.search(r"\sstyle=", html)
        assert not re.search(r"\son[a-z]+=", html), "inline event handlers are inline script"
        assets = re.findall(r'\ssrc="([^"]*)"', html) + re.findall(r'<link[^>]*\shref="([^"]*)"', html)
        assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets


async def test_the_console_speaks_chinese_first_and_english_on_request(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    town = await make_town(store)
    dora = await person(store, settings, town, "刘芳", Role.COMMUNITY)

    chinese = await console_get(client, dora, "/console/members")
    english = await console_get(client, dora, "/console/members", lang="en")
    cookie = english.headers["set-cookie"]
    remembered = await client.get(
        "/console/members",
        headers={**browser(dora), "Cookie": f"{browser(dora)['Cookie']}; {cookie.split(';')[0]}"},
    )

    assert '<html lang="zh-CN">' in chinese.text and "成员与设备" in chinese.text
    assert '<html lang="en">' in english.text and "Members and devices" in english.text
    assert cookie.startswith("lianhu_console_lang=en")
    assert '<html lang="en">' in remembered.text


def test_both_catalogues_have_every_key_the_templates_use() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in TEMPLATES.glob("*.html"))
    literal = set(re.findall(r"""\bt\(\s*["']([a-z_][a-z0-9_.-]*)["']\s*[),]""", source))
    dynamic = (
        {f"role.{role.value}" for role in Role} | {f"audit.{kind}" for kind in KINDS}
        | {f"done.{d}" for d in DONE}
        | {f"level.{level}" for level in ("street", "community", "grid")}
        | {f"method.{m}" for m in ("passkey", "device_key")} | {f"type.{t}" for t in RECORD_TYPES}
        | {f"denied.{code}.{part}" for code in ("not_found", "csrf_failed", "bad_origin", "invalid_request")
           for part in ("title", "text")}
        | {f"members.status_{s}" for s in ("active", "inactive", "all")}
        | {f"code.title_{p}" for p in ("enroll", "recovery")}
        | {f"members.liaison_{k}" for k in ("leads", "led_by")}
        | {f"lang.{lang}" for lang in CATALOGUES}
    )  # fmt: skip

    assert set(CATALOGUES["zh-CN"]) == set(CATALOGUES["en"])
    assert literal | dynamic <= set(CATALOGUES["zh-CN"])
    assert len(literal) > 100  # the pattern above still finds the keys


@pytest.mark.parametrize(
    ("csrf", "origin", "code"),
    [("", ORIGIN, "csrf_failed"), ("not-the-token", ORIGIN, "csrf_failed"),
     (None, "https://evil.example", "bad_origin")],
    ids=["without-the-sessions-csrf-token", "with-a-wrong-csrf-token", "posted-from-another-site"],
)  # fmt: skip
async def test_a_form_the_console_did_not_send_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, store: Store, settings: Settings, csrf: str | None, origin: str, code: str
) -> None:
    dora, alice = await dora_and_alice(store, settings)

    response = await console_post(
        client, dora, f"/console/members/{alice.member_id}/deactivate", {"confirm": "yes"},
        csrf=csrf, origin=origin,
    )  # fmt: skip

    assert response.status_code == 403
    assert f'data-code="{code}"' in response.text
    async with store.read() as session:
        assert (await session.get(Member, alice.member_id)).active  # type: ignore[union-attr]


async def test_a_form_field_holding_u0000_is_a_clear_400_and_changes_nothing(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    dora, alice = await dora_and_alice(store, settings)

    response = await console_post(
        client, dora, f"/console/members/{alice.member_id}/deactivate", {"confirm": "yes", "note": "a\x00"}
    )

    assert response.status_code == 400
    assert 'data-code="invalid_request"' in response.text
    async with store.read() as session:
        assert (await session.get(Member, alice.member_id)).active  # type: ignore[union-attr]


async def test_the_login_page_runs_the_apps_own_login_and_never_redirects_off_site(
    client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    dora, alice = await dora_and_alice(store, settings)

    anonymous = await client.get("/console/login", params={"next": "https://evil.example/"})
    logged_in = await console_get(client, dora, "/console/login", next="/console/members")
    switching = await console_get(client, dora, "/console/login", switch="1")
    member = await console_get(client, alice, "/console/login")
    script = await client.get("/console/static/login.js")

    assert anonymous.status_code == 200 and 'data-next="/console/"' in anonymous.text
    assert '<script type="module" src="/console/static/login.js">' in anonymous.text
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/console/members"
    assert switching.status_code == 200 and has_marked(switching.text, "console-login")
    assert member.status_code == 200, (
        "a member's session does not open the console: they may log in as another"
    )
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    for module in ("/js/api.js", "/js/auth.js", "/js/db.js", "/js/pin.js"):
        assert f"from '{module}'" in script.text
        assert (await client.get(module)).status_code == 200


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.MEMBER], ids=["community", "member"])
async def test_logging_out_of_the_console_ends_the_browsers_session(
    client: httpx.AsyncClient, store: Store, settings: Settings, role: Role
) -> None:
    town = await make_town(store)
    caller = await person(store, settings, town, "刘芳", role)

    response = await console_post(client, caller, "/console/logout")

    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert 'lianhu_session=""' in response.headers["set-cookie"]
    assert (await client.get("/api/me", headers=caller.headers)).status_code == 401


async def test_unknown_console_paths_are_an_html_page_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/nothing/here")

    assert response.status_code == 404
    assert 'data-code="not_found"' in response.text and response.headers["content-type"].startswith(
        "text/html"
    )


async def test_the_console_serves_its_own_stylesheet_and_scripts(client: httpx.AsyncClient) -> None:
    for path, kind in (
        ("/console/static/console.css", "text/css"),
        ("/console/static/console.js", "text/javascript"),
    ):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
