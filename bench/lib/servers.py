"""Processes the benchmarks measure: ``lianhu serve`` (uvicorn) and PouchDB behind express-pouchdb.

Each runs in its own OS process, so its CPU time can be read from the kernel (``psutil``) before and after
a measurement: that is the "server CPU" figure, separate from whatever the load client costs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from .config import BENCH_DIR, ROOT, SECRET_KEY

__all__ = ["Proc", "free_port", "lianhu_servers", "pouchdb_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    """A server process: its URL, and its CPU time (user + system) so far."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-5000:]


def _wait_for(proc: Proc, probe: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"{proc.url} exited with {proc.process.returncode}:\n{proc.log()}")
        try:
            with urllib.request.urlopen(proc.url + probe, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{proc.url} did not answer within {timeout} s:\n{proc.log()}")


def _stop(proc: Proc) -> None:
    proc.process.terminate()
    try:
        proc.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.process.kill()
        proc.process.wait(timeout=15)


def lianhu_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIANHU_DATABASE_URL": database_url,
        "LIANHU_ORIGIN": f"http://localhost:{port}",
        "LIANHU_RP_ID": "localhost",
        "LIANHU_SECRET_KEY": SECRET_KEY,  # one key for every process: cursors work across them
        "LIANHU_AUTH_RATE_PER_MINUTE": "100000",  # the browser benchmarks enroll from 127.0.0.1
        **extra,
    }


@contextmanager
def lianhu_servers(database_url: str, log_dir: Path, count: int = 1, **extra: str) -> Iterator[list[Proc]]:
    """``count`` real ``lianhu serve`` processes (the console script's code, ``server.cli.main``) on free
    ports, all on one database; uvicorn's default logging (access log included) as deployed."""
    procs: list[Proc] = []
    try:
        for n in range(count):
            port = free_port()
            log_path = log_dir / f"lianhu-serve-{port}.log"
            log_dir.mkdir(parents=True, exist_ok=True)
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                    env=lianhu_env(database_url, port, **extra), cwd=ROOT, stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            procs.append(Proc(f"http://localhost:{port}", process, log_path))
            del n
        for proc in procs:
            _wait_for(proc, "/manifest.webmanifest")
        yield procs
    finally:
        for proc in procs:
            _stop(proc)


@contextmanager
def pouchdb_server(data_dir: Path, log_dir: Path) -> Iterator[Proc]:
    """PouchDB (LevelDB on disk) behind express-pouchdb, in Node; ``url`` is the CouchDB root."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"pouchdb-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["node", str(BENCH_DIR / "js" / "pouch-server.mjs"), str(port), str(data_dir)],
            cwd=BENCH_DIR, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    proc = Proc(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_for(proc, "/")
        yield proc
    finally:
        _stop(proc)


def put_json(url: str, body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="PUT", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
