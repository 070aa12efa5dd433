"""Real ``lianhu serve`` processes for the fault and fuzz tests, started fast enough to kill many times.

Two ways to start one, both running the very code of the ``lianhu`` console script (``server.cli.main``
with ``serve --host 127.0.0.1 --port PORT``) in its own OS process, configured only by ``LIANHU_*``
environment variables:

- :func:`exec_server` executes ``.venv/bin/lianhu serve`` as e2e/conftest.py does (about a second to start
  on the 2-core CI machine: mostly imports).
- :class:`Launcher` is a *zygote*: one helper process that imports the server once and then forks a fresh
  ``lianhu serve`` per :meth:`Launcher.spawn` (tens of milliseconds). The kill -9 test restarts the server
  50+ times per database; paying the imports once is what makes that fit in the suite. Each child is a
  separate process with its own sockets and database connections, so ``SIGKILL`` ends it exactly as it
  would end an exec'd server; the fork only skips the imports.

Either way the process dies with the test: :class:`RealServer.stop` kills it, and a zygote child also gets
``SIGKILL`` if the zygote dies (``PR_SET_PDEATHSIG``), which in turn exits when the test process closes its
stdin.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
LIANHU = Path(sys.executable).with_name("lianhu")
SECRET_KEY = "faults-secret-key-0123456789abcdefghijklmnop"

__all__ = ["Launcher", "RealServer", "exec_server", "free_port", "server_env"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of a test server: its store, its origin, one secret for every process."""
    return {
        **os.environ,
        "LIANHU_DATABASE_URL": database_url,
        "LIANHU_ORIGIN": f"http://localhost:{port}",
        "LIANHU_RP_ID": "localhost",
        "LIANHU_SECRET_KEY": SECRET_KEY,
        "LIANHU_AUTH_RATE_PER_MINUTE": "100000",  # many scripted enrollments from 127.0.0.1
        "LIANHU_LOG_LEVEL": "warning",
        **extra,
    }


@dataclass
class RealServer:
    """One running ``lianhu serve``: its base URL, process id and log file."""

    url: str
    port: int
    pid: int
    log_path: Path
    _reap: Any = field(repr=False)  # () -> None: collect the exit status once the process is dead

    def kill9(self) -> None:
        """``SIGKILL``: no shutdown, no lifespan, no flush — what a power cut does to the process."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap()

    stop = kill9

    def log(self, tail: int = 20_000) -> str:
        """The end of the log the server processes of this test share, without their start-up banners."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        lines = [line for line in text.splitlines() if line.strip() and "Lianhu is running at" not in line]
        return "\n".join(lines)[-tail:]

    def wait_until_up(self, timeout: float = 30) -> None:
        """Until the server accepts connections: uvicorn listens only once the app's startup is done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                return
            except OSError:
                time.sleep(0.005)
        raise AssertionError(
            f"lianhu serve on port {self.port} did not listen within {timeout} s:\n{self.log()}"
        )


def exec_server(env: Mapping[str, str], port: int, log_path: Path, *, wait: bool = True) -> RealServer:
    """``.venv/bin/lianhu serve`` as its own program (as e2e/conftest.py starts it)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(LIANHU), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def reap() -> None:
        process.kill()
        process.wait(timeout=30)

    server = RealServer(f"http://localhost:{port}", port, process.pid, log_path, reap)
    if wait:
        server.wait_until_up()
    return server


class Launcher:
    """The zygote: ``spawn`` forks a ``lianhu serve`` from a process that has imported it already."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from tests.realserver import _zygote; _zygote()"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin and self._process.stdout
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise AssertionError(f"the server launcher died (exit {self._process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def spawn(self, env: Mapping[str, str], port: int, log_path: Path, *, wait: bool = True) -> RealServer:
        pid = int(self._ask({"spawn": {"env": dict(env), "port": port, "log": str(log_path)}})["pid"])
        server = RealServer(f"http://localhost:{port}", port, pid, log_path, lambda: self._ask({"reap": pid}))
        if wait:
            server.wait_until_up()
        return server

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)
        if self._process.stdout:
            self._process.stdout.close()


PRELOAD = (
    "server.app",
    "server.cli",
    "server.serving",
    "uvicorn",
    "uvicorn.lifespan.on",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.http.h11_impl",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
)


def _zygote() -> None:  # pragma: no cover - runs in the launcher process
    """Import the server, then serve spawn/reap requests (one JSON object per line) until stdin closes."""
    import importlib
    import mimetypes

    mimetypes.init()  # reads the system's MIME tables, which the first static file would do in each child
    # Everything a child would import on its way to serving its first request: paying it here, once,
    # is the point of the zygote.
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # what the first query of every child would otherwise do
    children: set[int] = set()
    out: IO[str] = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        if "spawn" in request:
            spec = request["spawn"]
            pid = os.fork()
            if pid == 0:
                _child(spec)
            children.add(pid)
            out.write(json.dumps({"pid": pid}) + "\n")
        elif "reap" in request:
            pid = int(request["reap"])
            if pid in children:
                os.waitpid(pid, 0)
                children.discard(pid)
            out.write(json.dumps({"reaped": pid}) + "\n")
        out.flush()
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _child(spec: dict[str, Any]) -> None:  # pragma: no cover - runs in a forked server process
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    log = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.clear()
    os.environ.update(spec["env"])
    from server.cli import main

    code = 1
    try:
        code = main(["serve", "--host", "127.0.0.1", "--port", str(spec["port"])])
    finally:
        os._exit(code)
