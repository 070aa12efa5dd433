"""The console benchmark's data (bench/console.py): a street of 10 communities × 7 grids, 20,000 households,
8 members a grid with a phone each, and records of every type over two years, each built by the sync
library from its ops and indexed by the server's own rule, then bulk-inserted (the columns push writes).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from server.db import Store
from server.domain.ids import derived_record_id
from server.domain.indexing import record_index, request_facts
from server.models import (
    Area,
    AreaLevel,
    AuthMethod,
    Device,
    Household,
    Member,
    OpRow,
    RecordAccess,
    RecordRow,
    RequestFacts,
    Role,
)
from sync import apply_ops, canonical_json, parse_op, state_to_storage, uuid7

from .fixtures import ESTATES, GIVEN, SURNAMES

COMMUNITIES, GRIDS_PER_COMMUNITY, HOUSEHOLDS, MEMBERS_PER_GRID = 10, 7, 20_000, 8
CHUNK = 5_000
START = date(2025, 1, 1)
DAYS = 700
MIX = [("visit", 65), ("curtain_check", 20), ("request", 10), ("mediation", 3), ("household", 2)]
NOTES = (
    "老人身体尚好，血压正常，叮嘱按时服药",
    "子女在外地，已留紧急联系人电话",
    "家中无人，已留联系卡",
    "宣讲了医保新政策和防诈骗知识",
    "反映楼道灯不亮，已记录转物业",
)


# ---- the street -------------------------------------------------------------------------------------------


async def build_street(store: Store) -> dict[str, Any]:
    rng = random.Random(7)
    async with store.write() as session:
        street = Area(level=AreaLevel.STREET, name="天桥东街街道", code="B")
        session.add(street)
        await session.flush()
        communities, grids = [], []
        for c in range(COMMUNITIES):
            community = Area(
                level=AreaLevel.COMMUNITY, name=f"第{c + 1}社区", code=f"B-{c}", parent_id=street.id
            )
            session.add(community)
            await session.flush()
            communities.append(community.id)
            for g in range(GRIDS_PER_COMMUNITY):
                grid = Area(
                    level=AreaLevel.GRID, name=f"第{g + 1}网格", code=f"B-{c}-{g}", parent_id=community.id
                )
                session.add(grid)
                await session.flush()
                grids.append((grid.id, community.id))
        members: dict[int, list[tuple[int, str]]] = {}
        for grid_id, _ in grids:
            members[grid_id] = []
            for m in range(MEMBERS_PER_GRID):
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                member = Member(name=name, role=Role.MEMBER, phone=f"139{grid_id:04d}{m:04d}")
                session.add(member)
                await session.flush()
                device = Device(
                    id=f"bench{grid_id:04d}{m:02d}",
                    member_id=member.id,
                    label=f"{name}的手机",
                    method=AuthMethod.DEVICE_KEY,
                    public_key="{}",
                    recovery_key="x" * 43,
                    lockout_key_hash="0" * 64,
                )
                session.add(device)
                members[grid_id].append((member.id, device.id))
        households: dict[int, list[str]] = {grid_id: [] for grid_id, _ in grids}
        rows = []
        for n in range(HOUSEHOLDS):
            grid_id, _ = grids[n % len(grids)]
            household_id = f"hh-{n:06d}"
            households[grid_id].append(household_id)
            estate = ESTATES[n % len(ESTATES)]
            building, unit, room = n % 30 + 1, n % 4 + 1, 100 * (n % 6 + 1) + n % 4 + 1
            rows.append(
                {
                    "id": household_id,
                    "grid_id": grid_id,
                    "building": f"{building}号楼",
                    "unit": f"{unit}单元",
                    "room": str(room),
                    "address": f"{estate}{building}号楼{unit}单元{room}",
                    "head_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    "phone": f"138{n:08d}",
                    "tags": [],
                    "care_level": "green",
                    "residents": [],
                    "covered_by": [],
                }
            )
        await session.execute(insert(Household), rows)
    return {
        "street": street.id,
        "communities": communities,
        "grids": grids,
        "members": members,
        "households": households,
    }


def _fields(kind: str, rng: random.Random, day: str, mediator: int) -> dict[str, Any]:
    if kind == "visit":
        not_home = rng.random() < 0.1
        return {
            "date": day,
            "items": rng.sample(["policy", "safety", "care", "opinions"], rng.randint(1, 3)),
            "not_home": not_home,
            "notes": rng.choice(NOTES),
            "request": None,
        }
    if kind == "curtain_check":
        return {"date": day, "outcome": rng.choice(["seen", "seen", "seen", "reached", "away", None])}
    if kind == "request":
        return {
            "category": rng.choice(["repair", "environment", "paperwork"]),
            "urgency": "normal",
            "description": "厕所漏水，请尽快派人维修，联系电话 13812345678",
            "source": "visit",
        }
    if kind == "mediation":
        return {
            "category": "neighbour",
            "parties": "张某与李某",
            "summary": "楼上漏水纠纷",
            "mediators": [mediator],
            "outcome": rng.choice(["ongoing", "agreed", None]),
        }
    return {"head": "王秀英", "phone": "13800000000"}


def generate(street: dict[str, Any], total: int, seed: int = 11) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Chunks of rows for ``records``, ``ops``, ``request_facts``, ``record_access``, as push writes them."""
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    grids = street["grids"]
    household_records: set[str] = set()
    checked: set[tuple[str, date]] = set()
    seq = 0
    chunk: dict[str, list[dict[str, Any]]] = {"records": [], "ops": [], "facts": [], "access": []}
    received = datetime(2026, 11, 30, tzinfo=UTC)
    for n in range(total):
        grid_id, community_id = grids[rng.randrange(len(grids))]
        household = rng.choice(street["households"][grid_id])
        kind = rng.choice(kinds)
        day = START + timedelta(days=rng.randrange(DAYS))
        if kind == "household" and household in household_records:
            kind = "visit"
        if kind == "curtain_check" and (household, day) in checked:
            kind = "visit"  # one curtain check per household and day: its id is derived from both
        wall = int(datetime(day.year, day.month, day.day, 1, tzinfo=UTC).timestamp() * 1000) + rng.randrange(
            36_000_000
        )
        member, device = rng.choice(street["members"][grid_id])
        record = uuid7()
        if kind == "curtain_check":
            record = derived_record_id("curtain_check", [household, day.isoformat()])
            checked.add((household, day))
        if kind == "household":
            record = derived_record_id("household", [household])
            household_records.add(household)
        raw = [
            {
                "id": uuid7(),
                "record": record,
                "type": kind,
                "household": household,
                "clock": f"{wall:015d}-00000",
                "replica": device,
                "kind": "set",
                "fields": _fields(kind, rng, day.isoformat(), member),
                "author": member,
            }
        ]
        if rng.random() < 0.1:
            other, other_device = rng.choice(street["members"][grid_id])
            edit = (
                {"notes": "复访：情况稳定"}
                if kind == "visit"
                else {"urgency": "urgent"}
                if kind == "request"
                else None
            )
            if edit:
                raw.append(
                    {
                        "id": uuid7(),
                        "record": record,
                        "type": kind,
                        "household": household,
                        "clock": f"{wall + 3_600_000:015d}-00000",
                        "replica": other_device,
                        "kind": "set",
                        "fields": edit,
                        "author": other,
                    }
                )
        state = apply_ops(None, [parse_op(op, allow_author=True) for op in raw])
        index = record_index(state)
        first_seq = seq + 1
        for op in raw:
            seq += 1
            body = canonical_json({k: v for k, v in op.items() if k != "author"})
            chunk["ops"].append(
                {
                    "seq": seq,
                    "op_id": op["id"],
                    "record_id": record,
                    "record_type": kind,
                    "household_id": household,
                    "grid_id": grid_id,
                    "clock": op["clock"],
                    "replica": op["replica"],
                    "author_id": op["author"],
                    "device_id": op["replica"],
                    "kind": "set",
                    "restricted": kind == "mediation",
                    "body": body,
                    "digest": hashlib.sha256(body.encode()).hexdigest(),
                    "received_at": received,
                }
            )
        chunk["records"].append(
            {
                "id": record,
                "type": kind,
                "household_id": household,
                "grid_id": grid_id,
                "state": state_to_storage(state),
                "deleted": False,
                "restricted": kind == "mediation",
                "created_by": member,
                "created_seq": first_seq,
                "updated_seq": seq,
                "updated_at": received,
                "community_id": community_id,
                "record_date": index.record_date,
                "stage": index.stage,
                "closed": index.closed,
                "due_ms": index.due_ms,
                "started_ms": index.started_ms,
                "updated_by": index.updated_by,
                "summary": index.summary,
            }
        )
        if kind == "request":
            chunk["facts"].append({"record_id": record, **request_facts(state, start=index.started_ms)})
        if kind == "mediation":
            chunk["access"].append(
                {"record_id": record, "member_id": member, "granted_seq": first_seq, "revoked_seq": None}
            )
        if len(chunk["records"]) >= CHUNK or n == total - 1:
            yield chunk
            chunk = {"records": [], "ops": [], "facts": [], "access": []}


async def load(stores: dict[str, Store], street: dict[str, dict[str, Any]], total: int) -> dict[str, float]:
    """Generate once, insert into every database; seconds spent inserting, per database."""
    spent = dict.fromkeys(stores, 0.0)
    done = 0
    names = list(stores)
    for chunk in generate(street[names[0]], total):
        for name, store in stores.items():
            began = time.perf_counter()
            async with store.write() as session:
                # Core inserts (executemany; batched multi-row VALUES on PostgreSQL), not ORM objects.
                await session.execute(insert(RecordRow.__table__), chunk["records"])
                await session.execute(insert(OpRow.__table__), chunk["ops"])
                if chunk["facts"]:
                    await session.execute(insert(RequestFacts.__table__), chunk["facts"])
                if chunk["access"]:
                    await session.execute(insert(RecordAccess.__table__), chunk["access"])
            spent[name] += time.perf_counter() - began
        done += len(chunk["records"])
        if done % 100_000 < CHUNK:
            print(
                f"  loaded {done:,} records ({', '.join(f'{n} {s:.0f} s' for n, s in spent.items())})",
                flush=True,
            )
    return spent


# ---- measuring --------------------------------------------------------------------------------------------
