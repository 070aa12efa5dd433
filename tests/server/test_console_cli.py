"""The CLI's member and area commands (issue 6 §7): listing them, and an admin without an area. They call the
same services as the console."""

from __future__ import annotations

import json
import os
import subprocess

from server.db import Store
from server.models import Role
from tests.server.conftest import LIANHU, run_cli
from tests.server.console_support import make_town


def cli_json(database_url: str, *args: str) -> object:
    return json.loads(run_cli(*args, "--json", database_url=database_url).stdout)


def cli_refusal(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``lianhu`` command that is expected to fail."""
    env = {**os.environ, "LIANHU_DATABASE_URL": database_url}
    return subprocess.run([LIANHU, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_area_list_shows_the_tree_with_levels_parents_and_households(
    database_url: str, store: Store
) -> None:
    town = await make_town(store)

    areas = cli_json(database_url, "area", "list")
    text = run_cli("area", "list", database_url=database_url).stdout

    assert isinstance(areas, list)
    by_id = {area["id"]: area for area in areas}
    assert by_id[town.street] == {"id": town.street, "level": "street", "name": "天桥东街街道", "code": "S",
                                  "parent": None, "parent_name": None, "households": 0}  # fmt: skip
    assert (by_id[town.grid_d]["level"], by_id[town.grid_d]["parent"]) == ("grid", town.community_2)
    assert by_id[town.grid_d]["households"] == 2
    lines = [line.split()[1] for line in text.splitlines()]
    assert lines[:4] == ["天桥东街街道", "七里河社区", "第1网格", "第2网格"], "each community above its grids"


async def test_member_list_filters_by_area_role_and_status(database_url: str, store: Store) -> None:
    town = await make_town(store)

    def add(name: str, role: str, *areas: int) -> int:
        area_args = [arg for area in areas for arg in ("--area", str(area))]
        added = cli_json(database_url, "member", "add", "--name", name, "--role", role, *area_args)
        assert isinstance(added, dict)
        return int(added["id"])

    li, chen, zhou = (
        add("李华", "member", town.grid_a),
        add("陈静", "grid_leader", town.grid_b),
        add("周红", "member", town.grid_d),
    )
    dora = add("刘芳", "community", town.community_1)
    run_cli("member", "deactivate", "--member", str(li), database_url=database_url)

    def ids(*args: str) -> list[int]:
        listed = cli_json(database_url, "member", "list", *args)
        assert isinstance(listed, list)
        return sorted(member["id"] for member in listed)

    assert ids() == sorted([chen, zhou, dora])
    assert ids("--all") == sorted([li, chen, zhou, dora])
    assert ids("--area", str(town.community_1)) == sorted([chen, dora])
    assert ids("--area", str(town.community_1), "--all") == sorted([li, chen, dora])
    assert ids("--role", "grid_leader") == [chen]
    (listed,) = [m for m in cli_json(database_url, "member", "list") if m["id"] == chen]  # type: ignore[union-attr]
    assert listed == {"id": chen, "name": "陈静", "role": "grid_leader", "phone": None, "active": True,
                      "areas": [{"id": town.grid_b, "name": "第2网格", "level": "grid"}]}  # fmt: skip


async def test_an_admin_is_added_without_an_area_and_everyone_else_needs_one(
    database_url: str, store: Store
) -> None:
    town = await make_town(store)
    admin = cli_json(database_url, "member", "add", "--name", "管理员", "--role", Role.ADMIN.value)
    no_area = cli_refusal(database_url, "member", "add", "--name", "无区域")
    admin_area = cli_refusal(
        database_url, "member", "add", "--name", "管理员2", "--role", "admin", "--area", str(town.street)
    )

    assert isinstance(admin, dict) and admin["role"] == "admin"
    assert no_area.returncode == 1 and "at least one grid" in no_area.stderr
    assert admin_area.returncode == 1 and "assigned none" in admin_area.stderr
    listed = cli_json(database_url, "member", "list", "--role", "admin")
    assert isinstance(listed, list) and [(m["name"], m["areas"]) for m in listed] == [("管理员", [])]
