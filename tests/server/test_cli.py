from __future__ import annotations

import json

from tests.server.conftest import run_cli


def test_demo_data_loads_once_into_an_empty_database(database_url: str) -> None:
    loaded = json.loads(run_cli("demo", "load", "--json", database_url=database_url).stdout)
    again = json.loads(run_cli("demo", "load", "--if-empty", "--json", database_url=database_url).stdout)

    assert loaded["loaded"] is True
    assert loaded["grids"] == 40
    assert 2900 <= loaded["households"] <= 3100
    assert again == {"loaded": False}
    grids = json.loads(run_cli("grid", "list", "--json", database_url=database_url).stdout)
    assert len(grids) == 40
    assert sum(grid["households"] for grid in grids) == loaded["households"]
    assert grids[0]["community"].endswith("社区") and grids[0]["name"].endswith("网格")


def test_a_member_gets_a_code_that_enrolls_exactly_once(database_url: str) -> None:
    run_cli("demo", "load", database_url=database_url)
    grids = json.loads(run_cli("grid", "list", "--json", database_url=database_url).stdout)

    member = json.loads(
        run_cli(
            "member",
            "add",
            "--name",
            "赵敏",
            "--grid",
            str(grids[0]["id"]),
            "--json",
            database_url=database_url,
        ).stdout
    )
    code = json.loads(
        run_cli("code", "create", "--member", str(member["id"]), "--json", database_url=database_url).stdout
    )

    assert member["name"] == "赵敏"
    assert len(code["code"]) == 9 and code["code"][4] == "-"
    assert code["expires_at"]
