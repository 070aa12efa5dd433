"""A throwaway PostgreSQL cluster for the test run (initdb + pg_ctl from Debian's postgresql package).

Started once per test session on a free port, with its data in a temporary folder, and stopped at the end.
There is no "skip if PostgreSQL is missing": `make test` installs it, and a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cluster:
    port: int
    data_dir: Path
    bin_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found; run `make test` (it installs postgresql)")
    return Path(found[-1]).parent


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package creates the `postgres` user for us.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def start_cluster() -> Cluster:
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="lianhu-pg-", dir="/tmp"))
    data_dir, socket_dir = root / "data", root / "sock"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(socket_dir, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(root / "log"),
                      "-w", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    return Cluster(port=port, data_dir=data_dir, bin_dir=bin_dir)


def stop_cluster(cluster: Cluster) -> None:
    pg_ctl = str(cluster.bin_dir / "pg_ctl")
    stop = [pg_ctl, "-D", str(cluster.data_dir), "-m", "immediate", "stop"]
    subprocess.run(_as_postgres(stop), check=False, capture_output=True)
    shutil.rmtree(cluster.data_dir.parent, ignore_errors=True)
