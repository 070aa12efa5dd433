"""A throwaway PostgreSQL cluster for a benchmark run, as tests/postgres.py starts one, but durable.

The test cluster runs with ``fsync=off`` (fast tests); a benchmark must pay what production pays, so this
one keeps PostgreSQL's defaults (``fsync=on``, ``synchronous_commit=on``), like SQLite's ``synchronous=FULL``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from tests.postgres import Cluster, _as_postgres, _bin_dir, _free_port, stop_cluster

from .config import Run

__all__ = ["cluster", "cluster_cpu_seconds", "create_database", "psql", "shared", "start"]


_SHARED: list[Cluster] = []


def shared(run: Run) -> Cluster:
    """One cluster for the whole benchmark run, started on first use and stopped when the run ends."""
    if not _SHARED:
        _SHARED.append(start())
        run.cleanups.append(lambda: stop_cluster(_SHARED.pop()))
    return _SHARED[0]


@contextmanager
def cluster() -> Iterator[Cluster]:
    found = start()
    try:
        yield found
    finally:
        stop_cluster(found)


def start() -> Cluster:
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="lianhu-bench-pg-", dir="/tmp"))
    data_dir, socket_dir = root / "data", root / "sock"
    socket_dir.mkdir()
    shutil.chown(root, "postgres")
    shutil.chown(socket_dir, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
    subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(root / "log"),
                      "-w", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    return Cluster(port=port, data_dir=data_dir, bin_dir=bin_dir)


def psql(found: Cluster, sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        [str(found.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(found.port), "-U", "postgres",
         "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


def create_database(found: Cluster, name: str, template: str | None = None) -> str:
    """A new database (optionally a copy of ``template``); returns its SQLAlchemy URL."""
    psql(found, f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return found.url(name)


def cluster_cpu_seconds(found: Cluster) -> float:
    """CPU time of the whole cluster: the postmaster, its live backends, and the backends that exited."""
    pid = int((found.data_dir / "postmaster.pid").read_text().split()[0])
    master = psutil.Process(pid)
    times = master.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in master.children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total
