"""sync/INTERNALS.md stays honest: it maps every module and names every error code the library raises."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import sync

SYNC_DIR = Path(sync.__file__).resolve().parent
INTERNALS = (SYNC_DIR / "INTERNALS.md").read_text(encoding="utf-8")
ERROR_CODES = ["clock_drift", "counter_overflow", "invalid_op", "author_not_allowed", "record_mismatch",
               "op_conflict"]  # fmt: skip


def test_the_module_table_lists_exactly_the_modules_of_sync() -> None:
    listed = set(re.findall(r"^\| `(\w+\.py)` \|", INTERNALS, flags=re.MULTILINE))
    actual = {path.name for path in SYNC_DIR.glob("*.py") if path.name != "__init__.py"}
    assert listed == actual


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_code_is_explained(code: str) -> None:
    assert f"`{code}`" in INTERNALS
    assert code in Path(SYNC_DIR / "errors.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [name for name in sync.__all__ if name not in {"JSON", "Kind"}])
def test_every_public_name_has_a_docstring(name: str) -> None:
    obj = getattr(sync, name)
    assert inspect.getdoc(obj), f"sync.{name} has no docstring"


def test_the_hlc_paper_is_cited() -> None:
    assert "Logical Physical Clocks" in INTERNALS
    assert "Logical Physical Clocks" in (inspect.getdoc(sync.HybridClock) or "")
