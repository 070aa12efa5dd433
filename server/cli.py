"""The admin command line, ``lianhu``. Every command reads its database from ``LIANHU_DATABASE_URL``; the
commands that keep the data (``db``, ``retention``, ``resident``) are in ``server.cli_data``.

::

    lianhu db upgrade                      create or migrate the database
    lianhu demo load [--if-empty]          load the demo street, grids, households and members
    lianhu grid list                       grids with their community and household count
    lianhu area list                       the whole area tree: streets, communities, grids
    lianhu member list [--area ID] [--role R] [--all]   members with their role and areas
    lianhu member add --name N --area ID   create a member assigned to areas (grids, or a community…)
    lianhu member move --member ID --area ID   reassign a member (ends their sessions)
    lianhu member deactivate --member ID   deactivate a member (ends their sessions)
    lianhu code create --member ID [--qr F]  a one-time enrollment link (and QR code) for a member
    lianhu device revoke ID                end a device's sessions for good
    lianhu audit list [--limit N]          the newest audit events
    lianhu retention run [--dry-run]       erase the records whose retention period is over (PIPL)
    lianhu resident export --household ID  everything about one household, as JSON or XLSX
    lianhu resident erase --household ID --by MEMBER   erase a household's records and facts on request
    lianhu serve [--demo-code]             serve the app (and print a code for the first demo member)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from server import cli_data
from server.auth.sessions import end_sessions
from server.cli_data import emit, with_store
from server.db import Store
from server.models import AuditEvent, Device, Member, Role
from server.services import demo
from server.services.audit import audit
from server.services.enrollment import create_enrollment_code
from server.services.field_rules import set_curtain_deadline
from server.services.members import MemberError, add_member, deactivate_member, list_grids, move_member
from server.services.roster import areas_under, in_tree_order, list_areas, list_members
from server.settings import Settings

__all__ = ["main"]


async def _area_set(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        deadline = None if args.curtain_deadline == "default" else args.curtain_deadline
        async with store.write() as session:
            try:
                area = await set_curtain_deadline(session, area_id=args.area, deadline=deadline, by=None)
            except MemberError as error:
                print(f"error: {error.message}", file=sys.stderr)
                return 1
        emit(args, area, f"{area['name']}: curtain deadline {area['curtain_deadline'] or 'default'}")
        return 0

    return await with_store(settings, work)


async def _demo_load(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        async with store.write() as session:
            if not await demo.is_empty(session):
                if args.if_empty:
                    emit(args, {"loaded": False}, "database already has data; demo not loaded")
                    return 0
                print("error: the database already has data; use --if-empty to skip", file=sys.stderr)
                return 1
            summary = await demo.load_demo(session)
        emit(
            args,
            {"loaded": True, **summary.__dict__},
            f"demo loaded: {summary.grids} grids, {summary.households} households, {summary.members} members",
        )
        return 0

    return await with_store(settings, work)


async def _grid_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        async with store.read() as session:
            grids = await list_grids(session)
        text = "\n".join(f"{g['id']:>4}  {g['community']} {g['name']}  ({g['households']} 户)" for g in grids)
        emit(args, grids, text or "no grids")
        return 0

    return await with_store(settings, work)


async def _area_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        async with store.read() as session:
            areas = await list_areas(session)
        depth = {"street": 0, "community": 1, "grid": 2}
        text = "\n".join(
            f"{a['id']:>4}  {'  ' * depth.get(a['level'], 0)}{a['name']}  ({a['level']}"
            + (f", {a['households']} 户)" if a["level"] == "grid" else ")")
            for a in in_tree_order(areas)
        )
        emit(args, areas, text or "no areas")
        return 0

    return await with_store(settings, work)


async def _member_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        async with store.read() as session:
            under = None if args.area is None else await areas_under(session, [args.area])
            page = await list_members(
                session, area_ids=under, role=Role(args.role) if args.role else None,
                active=None if args.all else True, limit=None,
            )  # fmt: skip
        members = [m.to_json() for m in page.members]
        text = "\n".join(
            f"{m['id']:>5}  {m['name']}  {m['role']}{'' if m['active'] else ' (inactive)'}  "
            + ", ".join(a["name"] for a in m["areas"])
            for m in members
        )
        emit(args, members, text or "no members")
        return 0

    return await with_store(settings, work)


async def _member_add(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        try:
            async with store.write() as session:
                member = await add_member(
                    session, name=args.name, area_ids=args.area or [], role=args.role, phone=args.phone
                )
                data = {"id": member.id, "name": member.name, "role": member.role.value}
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        emit(args, data, f"member {data['id']} {data['name']} created")
        return 0

    return await with_store(settings, work)


async def _issue_code(store: Store, settings: Settings, member_id: int) -> tuple[str, datetime]:
    async with store.write() as session:
        return await create_enrollment_code(
            session,
            member_id=member_id,
            ttl=timedelta(hours=settings.enrollment_ttl_hours),
            now=datetime.now(UTC),
        )


async def _code_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        try:
            code, expires_at = await _issue_code(store, settings, args.member)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        link = f"{settings.origin}/#enroll={code}"
        if args.qr:
            import segno

            segno.make(link, error="m").save(args.qr, scale=8, border=2)
        emit(
            args,
            {"code": code, "link": link, "expires_at": expires_at.isoformat()},
            f"{code}  {link}  (valid until {expires_at:%Y-%m-%d %H:%M} UTC)",
        )
        return 0

    return await with_store(settings, work)


async def _device_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        async with store.write() as session:
            device = await session.get(Device, args.device)
            if device is None:
                print(f"error: no device {args.device!r}", file=sys.stderr)
                return 1
            now = datetime.now(UTC)
            device.revoked_at = device.revoked_at or now
            await end_sessions(session, device_id=device.id, reason="revoked", now=now)
            await audit(session, "device_revoked", member_id=device.member_id, device_id=device.id)
        print(f"device {args.device} revoked")
        return 0

    return await with_store(settings, work)


async def _member_move(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        try:
            async with store.write() as session:
                await move_member(session, member_id=args.member, area_ids=args.area, now=datetime.now(UTC))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        emit(args, {"id": args.member, "areas": args.area}, f"member {args.member} moved to {args.area}")
        return 0

    return await with_store(settings, work)


async def _member_deactivate(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        try:
            async with store.write() as session:
                await deactivate_member(session, member_id=args.member, now=datetime.now(UTC))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        emit(args, {"id": args.member, "active": False}, f"member {args.member} deactivated")
        return 0

    return await with_store(settings, work)


async def _audit_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(store: Store) -> int:
        async with store.read() as session:
            rows = (
                await session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(args.limit))
            ).all()
        events = [
            {"at": e.at.isoformat(), "kind": e.kind, "member": e.member_id, "device": e.device_id,
             "client": e.client, "detail": e.detail}
            for e in rows
        ]  # fmt: skip
        text = "\n".join(
            f"{e['at']}  {e['kind']:<18} member={e['member']} device={e['device']} {e['detail']}"
            for e in events
        )
        emit(args, events, text or "no events")
        return 0

    return await with_store(settings, work)


async def _demo_code(settings: Settings) -> tuple[str, str] | None:
    async def work(store: Store) -> int:
        async with store.read() as session:
            member = await session.scalar(select(Member).where(Member.active).order_by(Member.id).limit(1))
        if member is None:
            return 0
        code, _ = await _issue_code(store, settings, member.id)
        found.append((code, member.name))
        return 0

    found: list[tuple[str, str]] = []
    await with_store(settings, work)
    return found[0] if found else None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from server.app import create_app
    from server.db import StoreNotWritable
    from server.serving import serve

    if "LIANHU_ORIGIN" not in os.environ:  # the default origin follows the port we serve on
        settings = dataclasses.replace(settings, origin=f"http://localhost:{args.port}")
    try:
        asyncio.run(with_store(settings, _check_writable))
    except StoreNotWritable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    url = f"{settings.origin}/"
    print(f"\n  联户 Lianhu is running at {url}")
    print(f"  请用 {url} 打开（通行密钥和设备签名只认这个地址；不要用 127.0.0.1）")
    print(f"  Open {url} — not 127.0.0.1: passkeys and device keys are bound to this one address.")
    if args.demo_code:
        demo_code = asyncio.run(_demo_code(settings))
        if demo_code:
            code, name = demo_code
            print(f"  One-time enrollment code for demo member {name}: {code}")
            print(f"  Open on a phone or in a browser: {url}#enroll={code}\n")
    serve(create_app(settings), settings, host=args.host, port=args.port)
    return 0


async def _check_writable(store: Store) -> int:
    await store.check_writable()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lianhu", description="Lianhu 联户 admin commands")
    sub = parser.add_subparsers(dest="group", required=True)

    def command(group: str, name: str | None, handler: Any, help_text: str) -> argparse.ArgumentParser:
        if name is None:
            cmd = sub.add_parser(group, help=help_text)
        else:
            group_parser = sub.choices.get(group) or sub.add_parser(group, help=f"{group} commands")
            if not hasattr(group_parser, "_lianhu_sub"):
                group_parser._lianhu_sub = group_parser.add_subparsers(dest="command", required=True)  # type: ignore[attr-defined]
            cmd = group_parser._lianhu_sub.add_parser(name, help=help_text)  # type: ignore[attr-defined]
        cmd.set_defaults(handler=handler)
        cmd.add_argument("--json", action="store_true", help="print machine-readable JSON")
        return cmd

    command("db", "upgrade", cli_data.db_upgrade, "create or migrate the database")
    command("db", "reindex", cli_data.db_reindex, "recompute the records' index columns from their states")
    command(
        "db", "rebuild-records", cli_data.db_rebuild_records,
        "replay every record's state from the op log, then its index columns and projections",
    )  # fmt: skip
    backup_cmd = command(
        "db", "backup", cli_data.db_backup, "write a consistent backup of the whole store to FILE"
    )
    backup_cmd.add_argument("file", metavar="FILE")
    restore_cmd = command(
        "db",
        "restore",
        cli_data.db_restore,
        "replace the store with backup FILE (stop servers); erasures stay erased",
    )
    restore_cmd.add_argument("file", metavar="FILE")
    restore_cmd.add_argument(
        "--register", metavar="JSON", action="append",
        help="also apply this copy of an erasure register (written by an earlier restore); repeatable",
    )  # fmt: skip
    run = command(
        "retention", "run", cli_data.retention_run, "erase the records whose retention period is over"
    )
    run.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    export = command("resident", "export", cli_data.resident_export, "export everything about one household")
    export.add_argument("--household", required=True, metavar="ID")
    export.add_argument(
        "--out", metavar="FILE", help="write to FILE (.xlsx: a workbook; else JSON); default stdout"
    )
    export.add_argument(
        "--by", type=int, metavar="MEMBER_ID", help="the member serving the request (audited)"
    )
    erase = command(
        "resident", "erase", cli_data.resident_erase, "erase a household's records and facts on request"
    )
    erase.add_argument("--household", required=True, metavar="ID")
    erase.add_argument(
        "--by", type=int, required=True, metavar="MEMBER_ID",
        help="the coordinator (community, street, admin) who took the resident's request",
    )  # fmt: skip
    area_set = command("area", "set", _area_set, "set a community's curtain-round deadline")
    area_set.add_argument("--area", type=int, required=True, help="a community's id")
    area_set.add_argument(
        "--curtain-deadline", required=True, help="HH:MM, or 'default' for LIANHU_CURTAIN_DEADLINE"
    )
    load = command("demo", "load", _demo_load, "load demo data")
    load.add_argument("--if-empty", action="store_true", help="do nothing if the database has data")
    command("grid", "list", _grid_list, "list grids")
    command("area", "list", _area_list, "list the area tree (streets, communities, grids)")
    members = command("member", "list", _member_list, "list active members with their role and areas")
    members.add_argument("--area", type=int, help="only members placed in this area or below it")
    members.add_argument("--role", choices=[role.value for role in Role])
    members.add_argument("--all", action="store_true", help="include deactivated members")
    member = command("member", "add", _member_add, "create a member")
    member.add_argument("--name", required=True)
    member.add_argument(
        "--area", "--grid", dest="area", type=int, action="append",
        help="area id (repeatable): grids, a community or a street by role; none for admin",
    )  # fmt: skip
    member.add_argument("--role", default="member", choices=[role.value for role in Role])
    member.add_argument("--phone")
    move = command("member", "move", _member_move, "reassign a member to other areas")
    move.add_argument("--member", type=int, required=True)
    move.add_argument("--area", "--grid", dest="area", type=int, action="append", required=True)
    deactivate = command("member", "deactivate", _member_deactivate, "deactivate a member")
    deactivate.add_argument("--member", type=int, required=True)
    code = command("code", "create", _code_create, "create a one-time enrollment code")
    code.add_argument("--member", type=int, required=True)
    code.add_argument("--qr", metavar="FILE", help="also write the link as a QR code (.svg or .png)")
    audit_list = command("audit", "list", _audit_list, "show the newest audit events")
    audit_list.add_argument("--limit", type=int, default=50)
    revoke = command("device", "revoke", _device_revoke, "revoke a device")
    revoke.add_argument("device")
    serve = command("serve", None, _serve, "serve the app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo-code", action="store_true", help="print an enrollment code for a demo member")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    handler = args.handler
    try:
        if asyncio.iscoroutinefunction(handler):
            result: int = asyncio.run(handler(args, settings))
        else:
            result = handler(args, settings)
        sys.stdout.flush()  # here, where a closed pipe can still be handled, not at interpreter exit
        return result
    except BrokenPipeError:
        # `lianhu grid list | head`: the reader left; that is not an error. Point stdout at devnull so
        # the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
