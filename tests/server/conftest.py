"""Server fixtures. Every test that takes ``database_url`` runs twice: on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.db import Store
from server.settings import Settings
from tests.postgres import Cluster, start_cluster, stop_cluster
from tests.server.factories import World, make_world

LIANHU = str(Path(sys.executable).with_name("lianhu"))


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``lianhu`` command against ``database_url``; raise with its output if it fails."""
    env = {**os.environ, "LIANHU_DATABASE_URL": database_url}
    result = subprocess.run([LIANHU, *args], env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(
            f"lianhu {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


def _psql(cluster: Cluster, sql: str) -> None:
    subprocess.run(
        [str(cluster.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
         "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    _psql(pg_cluster, "CREATE DATABASE lianhu_template")
    run_cli("db", "upgrade", database_url=pg_cluster.url("lianhu_template"))
    return "lianhu_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "lianhu.sqlite3"
    run_cli("db", "upgrade", database_url=f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database per test."""
    if request.param == "sqlite":
        path = tmp_path / "lianhu.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    template: str = request.getfixturevalue("pg_template")
    name = f"test_{uuid.uuid4().hex[:16]}"
    _psql(cluster, f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield cluster.url(name)
    finally:
        _psql(cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


ORIGIN = "http://localhost"
SECRET = "t" * 40


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, origin=ORIGIN, rp_id="localhost", secret_key=SECRET)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    store = Store(settings.database_url)
    try:
        yield store
    finally:
        await store.dispose()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with the app's lifespan running."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


@pytest.fixture
async def world(store: Store, settings: Settings) -> World:
    return await make_world(store, settings)
