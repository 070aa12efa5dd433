"""The docs are part of the product: every setting, CLI command, route and error code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Route

from server.app import create_app
from server.cli import build_parser
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROTOCOL = (ROOT / "docs" / "sync-protocol.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("variable", Settings.variable_names())
def test_every_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README


def _cli_commands() -> list[str]:
    parser = build_parser()
    commands = []
    for group, group_parser in parser._subparsers._group_actions[0].choices.items():  # type: ignore[union-attr]
        sub = getattr(group_parser, "_lianhu_sub", None)
        commands.extend([f"lianhu {group} {name}" for name in sub.choices] if sub else [f"lianhu {group}"])
    return commands


@pytest.mark.parametrize("command", _cli_commands())
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README


def _api_routes() -> list[str]:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    routes = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/") and "{rest" not in route.path:
            path = re.sub(r"\{[^}]+\}", "{id}", route.path)
            routes.extend(f"{method} {path}" for method in sorted(route.methods or ()) if method != "HEAD")
    return routes


@pytest.mark.parametrize("route", _api_routes())
def test_every_api_route_is_in_the_protocol_doc(route: str) -> None:
    assert route in PROTOCOL


def _error_codes_in_code() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "server").rglob("*.py"))
    codes = set(
        re.findall(
            r'(?:BadRequest|PayloadTooLarge|UnsupportedMediaType|_Rejected|FieldRuleError)\(\s*"([a-z_]+)"',
            source,
        )
    )
    codes |= set(
        re.findall(r'^\s+"([a-z_]+)": "', (ROOT / "server" / "services" / "push.py").read_text(), re.M)
    )
    return codes


@pytest.mark.parametrize("code", sorted(_error_codes_in_code()))
def test_every_error_code_is_in_the_protocol_doc(code: str) -> None:
    assert f"`{code}`" in PROTOCOL


def test_error_codes_are_found_at_all() -> None:
    # Guards the regexes above: if they stopped matching, the parametrized test would silently shrink.
    assert {
        "malformed_json",
        "out_of_scope",
        "clock_ahead",
        "invalid_value",
        "too_many_ops",
    } <= _error_codes_in_code()
