"""What every console page goes through, written once so that no page can forget it.

``@page`` (GET) and ``@action`` (POST) wrap a handler that receives a :class:`Console`: the caller resolved
from the session cookie (the same sessions as the app), the role gate (members and liaisons get the "not for
your role" page), the coordinator's scope, the language, and a renderer. ``@action`` also refuses a foreign
``Origin`` and checks the form's ``csrf_token`` against the session before anything else happens.
Errors become pages: no session → the login page; a refused change → an error page with its stable code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from server.auth.principal import CsrfFailed, Principal, authenticate
from server.auth.sessions import COOKIE_NAME
from server.console.dates import OFFICE_TZ
from server.console.i18n import LANGUAGES, Translator, error_text, pick_lang, translator
from server.console.services.permissions import ConsoleScope, console_scope
from server.console.services.tree import scope_tree
from server.errors import Unauthenticated
from server.routes.common import client_address, current_principal, settings_of, store_of
from server.services.members import MemberError

__all__ = [
    "LANG_COOKIE",
    "NAV",
    "Console",
    "Form",
    "action",
    "authenticated_post",
    "page",
    "render_plain",
]

LANG_COOKIE = "lianhu_console_lang"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# The console's pages in the side navigation: (key, path, catalogue key). Later pages add a line here.
NAV = [
    ("home", "/console/", "nav.home"),
    ("alarms", "/console/alarms", "nav.alarms"),
    ("records", "/console/records", "nav.records"),
    ("requests", "/console/requests", "nav.requests"),
    ("indicators", "/console/indicators", "nav.indicators"),
    ("households", "/console/households", "nav.households"),
    ("members", "/console/members", "nav.members"),
    ("ledgers", "/console/ledgers", "nav.ledgers"),
]
MAX_FORM_BYTES = 64 * 1024


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")


def _day(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(OFFICE_TZ).strftime("%Y-%m-%d")


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)
_env.filters.update(when=_when, day=_day)
templates = Jinja2Templates(env=_env)


class Form:
    """A parsed ``application/x-www-form-urlencoded`` body."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1].strip() if values else default

    def get_int(self, name: str) -> int | None:
        value = self.get(name)
        return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


class BadForm(MemberError):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__("invalid_request", message, "表单内容无效")


async def _read_form(request: Request) -> Form:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadForm(
            f"expected a form (application/x-www-form-urlencoded), got {content_type or 'nothing'!r}"
        )
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            raise BadForm(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        text = bytes(body).decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=100, errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise BadForm(f"the form cannot be read: {error}") from None
    if any("\x00" in value for values in fields.values() for value in values):
        raise BadForm("the form holds the character U+0000, which no field may contain")
    return Form(fields)


@dataclass
class Console:
    """One console request, after the gate."""

    request: Request
    principal: Principal
    scope: ConsoleScope
    lang: str
    t: Translator
    form: Form

    @property
    def client(self) -> str:
        return client_address(self.request)

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    def error_text(self, error: MemberError) -> str:
        return error_text(error, self.lang)

    async def render(self, name: str, *, status_code: int = 200, nav: str = "", **context: Any) -> Response:
        async with store_of(self.request).read() as session:
            tree = await scope_tree(session, self.scope)
        return _render(self.request, name, self.lang, status_code=status_code,
                       me=self.principal, scope=self.scope, csrf=self.principal.csrf_token, nav=nav,
                       nav_items=NAV, tree=tree, **context)  # fmt: skip


def _lang_links(request: Request) -> dict[str, str]:
    query = {k: v for k, v in request.query_params.multi_items() if k != "lang"}
    return {lang: f"{request.url.path}?{urlencode([*query.items(), ('lang', lang)])}" for lang in LANGUAGES}


def _render(request: Request, name: str, lang: str, *, status_code: int = 200, **context: Any) -> Response:
    base = {"t": translator(lang), "lang": lang, "lang_links": _lang_links(request), "me": None, "nav": "",
            "nav_items": NAV, "tree": [], "csrf": "", "scope": None}  # fmt: skip
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    response.headers["cache-control"] = "no-store"  # personal data: nothing of it stays in a browser cache
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax", httponly=True)
    return response


def request_lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def render_plain(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    """A page for someone the gate has not let in (login, not for your role, errors before the gate)."""
    return _render(request, name, request_lang(request), status_code=status_code, **context)


def _to_login(request: Request) -> Response:
    target = request.url.path if request.method == "GET" else "/console/"
    return RedirectResponse(f"/console/login?{urlencode({'next': target})}", status_code=303)


Handler = Callable[[Console], Awaitable[Response]]


async def _gate(request: Request, principal: Principal, form: Form, handler: Handler) -> Response:
    lang = request_lang(request)
    async with store_of(request).read() as session:
        scope = await console_scope(session, principal)
    if not scope.may_use_console:
        return render_plain(
            request, "not_for_role.html", status_code=403, me=principal, csrf=principal.csrf_token
        )
    console = Console(request, principal, scope, lang, translator(lang), form)
    try:
        return await handler(console)
    except MemberError as error:
        status = int(getattr(error, "status_code", 400))
        return await console.render(
            "error.html", status_code=status, error=error, message=console.error_text(error)
        )


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A GET page for console roles."""

    async def endpoint(request: Request) -> Response:
        try:
            principal = await current_principal(request)
        except Unauthenticated:
            return _to_login(request)
        return await _gate(request, principal, Form({}), handler)

    return endpoint


async def authenticated_post(request: Request) -> tuple[Principal, Form] | Response:
    """A POST from a console form: same origin, readable, with the session's CSRF token; else the answer."""
    origin = request.headers.get("origin")
    if origin is not None and origin != settings_of(request).origin:
        return render_plain(request, "denied.html", status_code=403, code="bad_origin")
    try:
        form = await _read_form(request)
    except BadForm as error:
        return render_plain(request, "denied.html", status_code=400, code=error.code)
    try:
        async with store_of(request).read() as session:
            principal = await authenticate(
                session, method="POST", cookie=request.cookies.get(COOKIE_NAME), authorization=None,
                csrf_header=form.get("csrf_token") or None, now=datetime.now(UTC),
                scopes=store_of(request).scopes,
            )  # fmt: skip
    except Unauthenticated:
        return _to_login(request)
    except CsrfFailed:
        return render_plain(request, "denied.html", status_code=403, code="csrf_failed")
    return principal, form


def action(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A POST from a console form (:func:`authenticated_post`), then the gate."""

    async def endpoint(request: Request) -> Response:
        posted = await authenticated_post(request)
        if isinstance(posted, Response):
            return posted
        return await _gate(request, *posted, handler)

    return endpoint
