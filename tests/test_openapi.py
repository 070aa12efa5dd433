"""docs/openapi.yaml says what docs/sync-protocol.md says: the same /api routes, the same request error codes
with the same HTTP statuses, the same op rejection codes — and every route the app serves.

The prose is the contract; the OpenAPI document is its machine-readable twin, which the fuzz test
(tests/server/test_fuzz_api.py) drives the real server from. When the API grows, the protocol document
changes first and these tests name what the OpenAPI document still lacks (or still has).

What is read from the protocol document:

- routes: every ``METHOD /api/...`` written anywhere in it (query strings dropped, path parameters
  normalised to ``{}``; a path with "…" is prose, not a route);
- request errors: every table row that starts ``| STATUS | `code` |`` (several codes may share a row,
  separated by ``/``);
- op rejection codes: the first column of the table whose header starts ``| op rejection code``.

From the OpenAPI document: its paths and methods; each ``error.code`` enum of a response, with the status it
is filed under (in an operation, or in the top-level ``x-other-responses``); the enum of
``PushResult.code``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from starlette.routing import Route

from server.app import create_app
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_PATH = ROOT / "docs" / "sync-protocol.md"
OPENAPI_PATH = ROOT / "docs" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")


def _route(method: str, path: str) -> str:
    return method.upper() + " " + re.sub(r"\{[^}]*\}", "{}", path)


# -- the protocol document ------------------------------------------------------------------------------


def protocol_routes(text: str) -> set[str]:
    found = re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/api/[^\s`|)?]*)", text)
    return {_route(method, path) for method, path in found if "…" not in path and "..." not in path}


def protocol_request_errors(text: str) -> set[tuple[int, str]]:
    pairs = set()
    for status, codes in re.findall(r"^\|\s*(\d{3})\s*\|\s*([^|]+?)\s*\|", text, re.M):
        pairs |= {(int(status), code) for code in re.findall(r"`([a-z_]+)`", codes)}
    return pairs


def protocol_op_codes(text: str) -> set[str]:
    table = re.search(r"^\|\s*op rejection code\s*\|.*?\n((?:\|.*\n?)+)", text, re.M)
    assert table, f"{PROTOCOL_PATH.name}: no table with the header '| op rejection code |'"
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", table.group(1), re.M))


# -- the OpenAPI document -------------------------------------------------------------------------------


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _error_codes(doc: dict[str, Any], response: Any) -> set[str]:
    """The ``error.code`` enum of one response (looking through ``allOf``)."""
    response = _resolve(doc, response)
    schema = _resolve(doc, response.get("content", {}).get("application/json", {}).get("schema"))
    codes: set[str] = set()
    stack = [schema]
    while stack:
        node = _resolve(doc, stack.pop())
        if not isinstance(node, dict):
            continue
        stack.extend(node.get("allOf", []))
        code = (
            _resolve(doc, node.get("properties", {}).get("error", {})).get("properties", {}).get("code", {})
        )
        codes |= set(code.get("enum", []))
    return codes


def openapi_routes(doc: dict[str, Any]) -> set[str]:
    return {
        _route(method, path) for path, item in doc["paths"].items() for method in item if method in METHODS
    }


def openapi_request_errors(doc: dict[str, Any]) -> set[tuple[int, str]]:
    responses = [
        (status, response)
        for item in doc["paths"].values()
        for method, operation in item.items()
        if method in METHODS
        for status, response in operation.get("responses", {}).items()
    ]
    responses += list(doc.get("x-other-responses", {}).items())
    return {
        (int(status), code)
        for status, response in responses
        if str(status).isdigit() and int(status) >= 400
        for code in _error_codes(doc, response)
    }


def openapi_op_codes(doc: dict[str, Any]) -> set[str]:
    return set(doc["components"]["schemas"]["PushResult"]["properties"]["code"]["enum"])


# -- the tests ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def protocol() -> str:
    return PROTOCOL_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    return doc


def _diff(
    what: str,
    left: set[Any],
    right: set[Any],
    names: tuple[str, str] = ("docs/sync-protocol.md", "docs/openapi.yaml"),
) -> str:
    def listing(items: set[Any]) -> str:
        return "".join(f"\n    {item}" for item in sorted(items)) or " nothing"

    return (
        f"{what} differ.\n  in {names[0]}, missing from {names[1]}:{listing(left - right)}"
        f"\n  in {names[1]}, not in {names[0]}:{listing(right - left)}"
    )


def test_the_openapi_document_has_exactly_the_protocol_routes(protocol: str, openapi: dict[str, Any]) -> None:
    assert protocol_routes(protocol) == openapi_routes(openapi), _diff(
        "routes", protocol_routes(protocol), openapi_routes(openapi)
    )


def test_the_openapi_document_has_exactly_the_protocol_error_codes(
    protocol: str, openapi: dict[str, Any]
) -> None:
    in_protocol, in_openapi = protocol_request_errors(protocol), openapi_request_errors(openapi)
    assert in_protocol == in_openapi, _diff("request error (status, code) pairs", in_protocol, in_openapi)


def test_the_openapi_document_has_exactly_the_protocol_op_rejection_codes(
    protocol: str, openapi: dict[str, Any]
) -> None:
    in_protocol, in_openapi = protocol_op_codes(protocol), openapi_op_codes(openapi)
    assert in_protocol == in_openapi, _diff("op rejection codes", in_protocol, in_openapi)


def test_every_api_route_the_app_serves_is_in_the_openapi_document(openapi: dict[str, Any]) -> None:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    served = {
        _route(method, route.path)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/") and "{rest" not in route.path
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert served <= openapi_routes(openapi), _diff(
        "routes", served, openapi_routes(openapi), ("the app (server/routes)", "docs/openapi.yaml")
    )


def test_the_readers_find_what_the_documents_certainly_hold(protocol: str, openapi: dict[str, Any]) -> None:
    # Guards the readers above: if a regex stopped matching, the equality tests would compare two empty sets.
    for found in (protocol_routes(protocol), openapi_routes(openapi)):
        assert {"POST /api/sync/push", "GET /api/sync/pull", "GET /api/records/{}"} <= found
    for errors in (protocol_request_errors(protocol), openapi_request_errors(openapi)):
        assert {
            (400, "malformed_json"),
            (400, "invalid_limit"),
            (401, "unauthenticated"),
            (413, "too_many_ops"),
        } <= errors
    for codes in (protocol_op_codes(protocol), openapi_op_codes(openapi)):
        assert {"invalid_op", "out_of_scope", "op_conflict"} <= codes


def test_a_difference_is_reported_with_both_sides() -> None:
    text = (
        "POST /api/sync/push and GET /api/records/… in prose\n"
        "| op rejection code | when |\n|---|---|\n| `invalid_op` | x |\n| 400 | `a` / `b` | x |\n"
    )
    assert protocol_routes(text) == {"POST /api/sync/push"}
    assert protocol_request_errors(text) == {(400, "a"), (400, "b")}
    assert protocol_op_codes(text) == {"invalid_op"}
    message = _diff("routes", {"GET /api/a", "GET /api/b"}, {"GET /api/b", "GET /api/c"})
    assert "missing from docs/openapi.yaml:\n    GET /api/a" in message
    assert "not in docs/sync-protocol.md:\n    GET /api/c" in message
