from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import LIANHU, run_cli


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


def test_a_member_can_be_moved_and_deactivated(database_url: str, tmp_path: Path) -> None:
    run_cli("demo", "load", database_url=database_url)
    grids = json.loads(run_cli("grid", "list", "--json", database_url=database_url).stdout)
    add = ["member", "add", "--name", "钱多", "--area", str(grids[0]["id"]), "--json"]
    member = json.loads(run_cli(*add, database_url=database_url).stdout)
    qr = tmp_path / "code.svg"

    code = json.loads(run_cli("code", "create", "--member", str(member["id"]), "--qr", str(qr), "--json",
                              database_url=database_url).stdout)  # fmt: skip
    run_cli(
        "member",
        "move",
        "--member",
        str(member["id"]),
        "--area",
        str(grids[1]["id"]),
        database_url=database_url,
    )
    run_cli("member", "deactivate", "--member", str(member["id"]), database_url=database_url)
    events = json.loads(run_cli("audit", "list", "--json", database_url=database_url).stdout)

    assert code["link"].endswith(f"/#enroll={code['code']}")
    assert qr.read_text().startswith("<?xml") and "<svg" in qr.read_text()
    assert [e["kind"] for e in events[:2]] == ["member_deactivated", "member_moved"]


def test_a_pipe_closed_early_is_not_an_error(database_url: str) -> None:
    """`lianhu grid list | head -0`: the reader is gone before anything is written."""
    run_cli("demo", "load", database_url=database_url)
    env = {**os.environ, "LIANHU_DATABASE_URL": database_url}
    with subprocess.Popen(
        [LIANHU, "grid", "list"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as listing:
        assert listing.stdout is not None and listing.stderr is not None
        listing.stdout.close()
        errors = listing.stderr.read().decode()
        assert listing.wait(timeout=60) == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors


def test_a_community_s_curtain_deadline_is_set_and_reset(database_url: str) -> None:
    run_cli("demo", "load", database_url=database_url)
    areas = json.loads(run_cli("area", "list", "--json", database_url=database_url).stdout)
    community = next(a for a in areas if a["level"] == "community")
    grid = next(a for a in areas if a["level"] == "grid")

    out = run_cli("area", "set", "--area", str(community["id"]), "--curtain-deadline", "09:00", "--json",
                  database_url=database_url)  # fmt: skip
    assert json.loads(out.stdout)["curtain_deadline"] == "09:00"
    reset = run_cli("area", "set", "--area", str(community["id"]), "--curtain-deadline", "default", "--json",
                    database_url=database_url)  # fmt: skip
    assert json.loads(reset.stdout)["curtain_deadline"] is None
    with pytest.raises(AssertionError, match="set per community"):
        run_cli(
            "area", "set", "--area", str(grid["id"]), "--curtain-deadline", "09:00", database_url=database_url
        )
    with pytest.raises(AssertionError, match="HH:MM"):
        run_cli(
            "area",
            "set",
            "--area",
            str(community["id"]),
            "--curtain-deadline",
            "9点",
            database_url=database_url,
        )
