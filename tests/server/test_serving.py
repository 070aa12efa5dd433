"""``lianhu serve`` as a real process: whom it believes about a client's address (issue 9, hole 4), how long
it lets a connection dawdle (hole 7), and that it will not start on a database it cannot write (hole 8)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import select

from server.db import Store
from server.models import AuditEvent
from tests.server.conftest import ORIGIN, SECRET, _psql
from tests.server.factories import World

LIANHU = str(Path(sys.executable).with_name("lianhu"))
HEAD_BOUND = 2  # LIANHU_HEADER_TIMEOUT_SECONDS of the bounded server
BODY_BOUND = 2  # LIANHU_BODY_TIMEOUT_SECONDS
MAX_CONNECTIONS = 40
PATIENCE = 10  # past this, a connection the server should have closed counts as left open


@dataclass
class Served:
    url: str
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(database_url: str, log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    environ = {
        **os.environ,
        "LIANHU_DATABASE_URL": database_url,
        "LIANHU_ORIGIN": ORIGIN,
        "LIANHU_RP_ID": "localhost",
        "LIANHU_SECRET_KEY": SECRET,
        "LIANHU_LOG_LEVEL": "warning",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [LIANHU, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environ, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, port


@contextmanager
def lianhu_serve(database_url: str, folder: Path, **env: str) -> Iterator[Served]:
    """A running ``lianhu serve`` on ``database_url``; its log is shown if it does not come up."""
    log = folder / f"serve-{time.monotonic_ns()}.log"
    process, port = _start(database_url, log, env)
    served = Served(f"http://127.0.0.1:{port}", "127.0.0.1", port, process, log)
    try:
        deadline = time.monotonic() + 30
        while True:  # an external process: nothing to await but its port
            if process.poll() is not None:
                pytest.fail(f"lianhu serve exited with {process.returncode}:\n{served.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"lianhu serve did not come up:\n{served.output()}")
                time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Serve(Protocol):
    def __call__(self, **env: str) -> AbstractContextManager[Served]: ...


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Serve:
    def start(**env: str) -> AbstractContextManager[Served]:
        return lianhu_serve(database_url, tmp_path, **env)

    return start


async def refused_logins(store: Store) -> list[str | None]:
    async with store.read() as session:
        rows = await session.scalars(select(AuditEvent.client).where(AuditEvent.kind == "login_failed"))
        return list(rows.all())


async def failed_login(http: httpx.AsyncClient, world: World, forwarded_for: str) -> httpx.Response:
    """A device-key login signed by the wrong key, from behind a claimed address."""
    headers = {"X-Forwarded-For": forwarded_for}
    start = await http.post("/api/login/start", json={"device": world.alice.device_id}, headers=headers)
    assert start.status_code == 200, start.text
    body = start.json()
    answer = {"ceremony": body["ceremony"], **world.bob.login_answer(ORIGIN, body["device_key"]["challenge"])}
    return await http.post("/api/login/device-key", json=answer, headers=headers)


async def enrollment_tries(http: httpx.AsyncClient, count: int) -> list[httpx.Response]:
    """Enrollment codes tried from ``count`` different claimed addresses, one each."""
    return [
        await http.post(
            "/api/enroll/start", json={"code": "ABCD-EFGH"}, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        )
        for n in range(count)
    ]


# Forwarded headers (hole 4) ------------------------------------------------------------------------------


async def test_forwarded_headers_from_an_unnamed_peer_change_neither_limits_nor_the_audit_log(
    serve: Serve, store: Store, world: World
) -> None:
    with serve(LIANHU_AUTH_RATE_PER_MINUTE="3") as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            refused = await failed_login(http, world, "203.0.113.9")
            tries = await enrollment_tries(http, 2)

    assert refused.json()["error"]["code"] == "invalid_credential"
    assert await refused_logins(store) == ["127.0.0.1"]  # the peer, not what the header claimed
    # Two requests of the login and two enrollment tries from one peer: its fourth is over the limit.
    assert [t.status_code for t in tries] == [400, 429]


async def test_a_trusted_proxy_names_the_client(serve: Serve, store: Store, world: World) -> None:
    with serve(LIANHU_AUTH_RATE_PER_MINUTE="3", LIANHU_TRUSTED_PROXIES="127.0.0.1/32, ::1") as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            refused = await failed_login(http, world, "203.0.113.9")
            tries = await enrollment_tries(http, 4)

    assert refused.json()["error"]["code"] == "invalid_credential"
    assert await refused_logins(store) == ["203.0.113.9"]
    assert [t.status_code for t in tries] == [400] * 4  # four clients behind the proxy, one try each


# Slow and idle connections (hole 7) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bounded_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server with small bounds for the connection tests (the database plays no part in them)."""
    folder = tmp_path_factory.mktemp("bounded")
    shutil.copyfile(sqlite_template, folder / "lianhu.sqlite3")
    with lianhu_serve(
        f"sqlite+aiosqlite:///{folder / 'lianhu.sqlite3'}", folder,
        LIANHU_HEADER_TIMEOUT_SECONDS=str(HEAD_BOUND), LIANHU_BODY_TIMEOUT_SECONDS=str(BODY_BOUND),
        LIANHU_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    ) as server:  # fmt: skip
        yield server


async def answer_within(reader: asyncio.StreamReader, seconds: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed it."""
    started = time.monotonic()
    try:
        data = await asyncio.wait_for(reader.read(), timeout=seconds)
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for more than {seconds} s")
    return data, time.monotonic() - started


@pytest.fixture
async def connections(bounded_server: Served) -> AsyncIterator[list[tuple[Any, Any]]]:
    opened: list[tuple[Any, Any]] = []
    yield opened
    for _, writer in opened:
        writer.close()


async def test_connections_that_send_nothing_are_closed_after_the_head_bound(
    bounded_server: Served, connections: list[tuple[Any, Any]]
) -> None:
    for _ in range(MAX_CONNECTIONS // 2):
        connections.append(await asyncio.open_connection(bounded_server.host, bounded_server.port))

    async with httpx.AsyncClient(base_url=bounded_server.url) as http:  # the server still serves meanwhile
        assert (await http.get("/manifest.webmanifest")).status_code == 200
    closed = [await answer_within(reader, PATIENCE) for reader, _ in connections]

    assert all(data == b"" for data, _ in closed)  # hung up without a word: nothing of a request came
    assert max(took for _, took in closed) < HEAD_BOUND + 2


async def test_a_request_head_that_stops_halfway_gets_408(
    bounded_server: Served, connections: list[tuple[Any, Any]]
) -> None:
    reader, writer = await asyncio.open_connection(bounded_server.host, bounded_server.port)
    connections.append((reader, writer))
    writer.write(b"GET /api/me HTTP/1.1\r\nHost: localhost\r\nAccept: appl")
    await writer.drain()

    data, took = await answer_within(reader, PATIENCE)

    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b'"request_timeout"' in data
    assert HEAD_BOUND * 0.9 <= took < HEAD_BOUND + 2


async def test_a_request_body_that_stops_halfway_gets_408(
    bounded_server: Served, connections: list[tuple[Any, Any]]
) -> None:
    reader, writer = await asyncio.open_connection(bounded_server.host, bounded_server.port)
    connections.append((reader, writer))
    writer.write(
        b"POST /api/enroll/start HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"code": "AB'
    )
    await writer.drain()

    data, took = await answer_within(reader, PATIENCE)

    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b'"request_timeout"' in data
    assert BODY_BOUND * 0.9 <= took < BODY_BOUND + 2


async def test_one_connection_too_many_is_told_busy_at_once(
    bounded_server: Served, connections: list[tuple[Any, Any]]
) -> None:
    for _ in range(MAX_CONNECTIONS):
        connections.append(await asyncio.open_connection(bounded_server.host, bounded_server.port))
    reader, writer = await asyncio.open_connection(bounded_server.host, bounded_server.port)
    connections.append((reader, writer))

    data, took = await answer_within(reader, PATIENCE)

    assert data.startswith(b"HTTP/1.1 503 "), data
    assert b'"busy"' in data and b"retry-after: " in data.lower()
    assert took < HEAD_BOUND  # not closed by the head bound: refused straight away


# A database that cannot be written (hole 8) --------------------------------------------------------------


def read_only(database_url: str) -> str:
    """The same database, opened read-only: SQLite by URI mode, PostgreSQL by default transaction mode."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///file:{database_url.split(':///', 1)[1]}?mode=ro&uri=true"
    return database_url


async def test_serve_will_not_start_on_a_database_it_cannot_write(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if not database_url.startswith("sqlite"):
        cluster = request.getfixturevalue("pg_cluster")
        _psql(
            cluster, f"ALTER DATABASE {database_url.rsplit('/', 1)[1]} SET default_transaction_read_only = on"
        )
    log = tmp_path / "serve.log"
    process, _ = _start(read_only(database_url), log, {})
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"lianhu serve started on a read-only database:\n{log.read_text()}")
    output = log.read_text(encoding="utf-8", errors="replace")

    assert code != 0
    assert "error: the database" in output and ("read-only" in output or "readonly" in output), output
    assert "Traceback" not in output, output
