"""The console's URL table, mounted by ``server/app.py`` before the member app's catch-all ``/``."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.console.pages import alarms, frame, households, indicators, member_actions, members, requests
from server.console.pages import ledgers as ledger_pages
from server.console.pages import records as record_pages

__all__ = ["STATIC", "routes"]

STATIC = Path(__file__).resolve().parent / "static"
MEMBER = "/console/members/{member_id:int}"

routes: list[BaseRoute] = [
    Route("/console", frame.to_home, methods=["GET"]),
    Route("/console/", frame.home, methods=["GET"]),
    Route("/console/login", frame.login_page, methods=["GET"]),
    Route("/console/logout", frame.logout, methods=["POST"]),
    Route("/console/members", members.members_list, methods=["GET"]),
    Route("/console/members", members.member_create, methods=["POST"]),
    Route("/console/members/new", members.member_new, methods=["GET"]),
    Route(MEMBER, members.member_detail, methods=["GET"]),
    Route(f"{MEMBER}/assignments", member_actions.assign, methods=["POST"]),
    Route(f"{MEMBER}/assignments/{{assignment_id:int}}/end", member_actions.end, methods=["POST"]),
    Route(f"{MEMBER}/move", member_actions.move, methods=["POST"]),
    Route(f"{MEMBER}/deactivate", member_actions.deactivate, methods=["POST"]),
    Route(f"{MEMBER}/codes", member_actions.issue_code, methods=["POST"]),
    Route(f"{MEMBER}/liaison", member_actions.link_liaison, methods=["POST"]),
    Route(f"{MEMBER}/liaison/{{led_id:int}}/end", member_actions.unlink_liaison, methods=["POST"]),
    Route("/console/devices/{device_id}/revoke", member_actions.revoke, methods=["POST"]),
    # records, history, ledgers (pages 1, 2, 7)
    Route("/console/records", record_pages.records_list, methods=["GET"]),
    Route("/console/records/export", ledger_pages.records_export, methods=["GET"]),
    Route("/console/records/{record_id}", record_pages.record_detail, methods=["GET"]),
    Route("/console/ledgers", ledger_pages.ledgers_page, methods=["GET"]),
    Route("/console/ledgers/export", ledger_pages.ledger_export, methods=["GET"]),
    # requests board, alarms, indicators and points, households and the curtain round (pages 3, 4, 5)
    Route("/console/requests", requests.requests_page, methods=["GET"]),
    Route("/console/requests/{record_id}/assign", requests.request_assign, methods=["POST"]),
    Route("/console/requests/{record_id}/reply", requests.request_reply, methods=["POST"]),
    Route("/console/alarms", alarms.alarms_page, methods=["GET"]),
    Route("/console/alarms/stream", alarms.alarms_stream, methods=["GET"]),
    Route("/console/indicators", indicators.indicators_page, methods=["GET"]),
    Route("/console/households", households.households_page, methods=["GET"]),
    Route("/console/households/{household_id}", households.household_detail, methods=["GET"]),
    Route("/console/households/{household_id}", households.household_save, methods=["POST"]),
    Route("/console/areas/{area_id:int}/curtain-deadline", households.deadline_set, methods=["POST"]),
    Mount("/console/static", app=StaticFiles(directory=STATIC), name="console-static"),
    Route("/console/{rest:path}", frame.not_found, methods=["GET", "POST"]),
]
