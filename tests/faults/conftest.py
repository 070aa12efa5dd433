"""Fault tests: real ``lianhu serve`` processes on SQLite and PostgreSQL, killed, duplicated, lied to.

The databases come from the server suite's fixtures (each test that takes ``database_url`` runs on both);
the server processes from ``tests/realserver.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realserver import Launcher
from tests.server.conftest import (
    client,
    database_url,
    pg_cluster,
    pg_template,
    settings,
    sqlite_template,
    store,
    world,
)

__all__ = [
    "client",
    "database_url",
    "launcher",
    "pg_cluster",
    "pg_template",
    "settings",
    "sqlite_template",
    "store",
    "world",
]


@pytest.fixture(scope="session")
def launcher() -> Iterator[Launcher]:
    """One zygote per test run: it imports the server once and forks a ``lianhu serve`` per start."""
    zygote = Launcher()
    try:
        yield zygote
    finally:
        zygote.close()
