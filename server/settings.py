"""Settings read from the environment (``LIANHU_*``), with defaults for a laptop.

Every setting is documented in README.md; ``tests/test_docs.py`` keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

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
        return cls(**values)  # type: ignore[arg-type]

    @staticmethod
    def variable_names() -> list[str]:
        """The environment variables this class reads, for the docs test."""
        return [f"LIANHU_{f.name.upper()}" for f in fields(Settings)]


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
