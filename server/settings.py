"""Settings read from the environment (``LIANHU_*``), with defaults for a laptop.

Every setting is documented in README.md; ``tests/test_docs.py`` keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from server.domain.retention import parse_retention

__all__ = ["Settings", "SettingsError"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'lianhu.sqlite3'}"


class SettingsError(ValueError):
    """A ``LIANHU_*`` variable has a value that cannot be used."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Server configuration. Build one with :meth:`from_env` or directly in tests."""

    database_url: str = DEFAULT_DATABASE_URL
    pwa_dir: Path = PROJECT_ROOT / "pwa"
    enrollment_ttl_hours: int = 24
    max_body_bytes: int = 1024 * 1024
    max_batch_ops: int = 500
    max_op_bytes: int = 64 * 1024
    max_clock_ahead_seconds: int = 24 * 3600
    log_level: str = "info"
    # The one origin the app is served from; WebAuthn and device-key signatures are bound to it.
    origin: str = "http://localhost:8000"
    rp_id: str = "localhost"
    rp_name: str = "联户 Lianhu"
    # Encrypts pull cursors. Empty: from_env() keeps a random one in var/secret.key; tests get a random one.
    secret_key: str = ""
    session_idle_minutes: int = 8 * 60
    session_max_hours: int = 30 * 24
    shared_session_idle_minutes: int = 15
    shared_session_max_hours: int = 12
    auth_rate_per_minute: int = 30
    reassignment_grace_days: int = 14
    # Field work (issue 6): the curtain round's morning deadline where a community sets none, and how
    # often households of each care level should be visited (days).
    curtain_deadline: str = "09:30"
    visit_cadence_days: str = "orange=7,yellow=14,blue=30,green=90"
    # How long each kind of record is kept before it is erased (PIPL; server/domain/retention.py): rules to
    # override, e.g. "visit=1095,curtain_check=400"; the rest keep their defaults.
    retention_days: str = ""
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For / -Proto headers are believed,
    # comma-separated. Empty: no one's; the client address is the peer of the TCP connection.
    trusted_proxies: str = ""
    # Timeouts: nothing a client or the database does may hold the server (issue 9, hole 7).
    header_timeout_seconds: int = 10
    body_timeout_seconds: int = 30
    max_connections: int = 1000
    lock_timeout_seconds: int = 5
    # How long a push may wait its turn behind other writes while they keep finishing (group_commit.py).
    queue_timeout_seconds: int = 30
    statement_timeout_seconds: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``LIANHU_<FIELD>`` for every field, e.g. ``LIANHU_DATABASE_URL``."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = f"LIANHU_{f.name.upper()}"
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(name, raw, f.type)
        if "secret_key" not in values:
            values["secret_key"] = _local_secret(PROJECT_ROOT / "var" / "secret.key")
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that cannot work (raise :class:`SettingsError`)."""
        if not self.origin.startswith(("https://", "http://localhost")):
            raise SettingsError(f"LIANHU_ORIGIN must be https:// (or http://localhost), got {self.origin!r}")
        if self.origin.endswith("/"):
            raise SettingsError(f"LIANHU_ORIGIN must not end with '/', got {self.origin!r}")
        host = self.origin.split("://", 1)[1].split(":", 1)[0]
        if host != self.rp_id and not host.endswith("." + self.rp_id):
            raise SettingsError(
                f"LIANHU_RP_ID {self.rp_id!r} must be the origin's host {host!r} or a parent of it"
            )
        if self.enrollment_ttl_hours > 24:
            raise SettingsError(
                f"LIANHU_ENROLLMENT_TTL_HOURS must be at most 24, got {self.enrollment_ttl_hours}"
            )
        if self.secret_key and len(self.secret_key) < 32:
            raise SettingsError("LIANHU_SECRET_KEY must be at least 32 characters")
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.curtain_deadline):
            raise SettingsError(f"LIANHU_CURTAIN_DEADLINE must be HH:MM, got {self.curtain_deadline!r}")
        _ = self.visit_cadence  # parses, or raises SettingsError
        _ = self.retention
        for entry in self.trusted_proxy_list:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise SettingsError(
                    f"LIANHU_TRUSTED_PROXIES must list IP addresses or networks, got {entry!r}"
                ) from None

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as a list (empty: forwarded headers are ignored)."""
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]

    @property
    def visit_cadence(self) -> dict[str, int]:
        """Care level → days between visits, from ``LIANHU_VISIT_CADENCE_DAYS`` (e.g. ``orange=7,…``)."""
        cadence: dict[str, int] = {}
        for entry in self.visit_cadence_days.split(","):
            level, _, days = entry.strip().partition("=")
            if level not in ("green", "blue", "yellow", "orange") or not days.isdigit() or int(days) < 1:
                raise SettingsError(
                    f"LIANHU_VISIT_CADENCE_DAYS must be like orange=7,yellow=14,blue=30,green=90; "
                    f"got {self.visit_cadence_days!r}"
                )
            cadence[level] = int(days)
        if len(cadence) != 4:
            raise SettingsError("LIANHU_VISIT_CADENCE_DAYS must give all four care levels")
        return cadence

    @property
    def retention(self) -> dict[str, int]:
        """Retention rule → days (0: keep for ever), from ``LIANHU_RETENTION_DAYS`` over the defaults."""
        try:
            return parse_retention(self.retention_days)
        except ValueError as error:
            raise SettingsError(str(error)) from None

    @property
    def secure_cookies(self) -> bool:
        return not self.origin.startswith("http://localhost")

    @staticmethod
    def variable_names() -> list[str]:
        """The environment variables this class reads, for the docs test."""
        return [f"LIANHU_{f.name.upper()}" for f in fields(Settings)]


def _local_secret(path: Path) -> str:
    """A random secret kept in a file beside the SQLite database, for development machines."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret, encoding="ascii")
    path.chmod(0o600)
    return secret


def _convert(name: str, raw: str, type_name: object) -> object:
    if type_name == "int":
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
        if value <= 0:
            raise SettingsError(f"{name} must be positive, got {value}")
        return value
    if type_name == "Path":
        return Path(raw)
    return raw
