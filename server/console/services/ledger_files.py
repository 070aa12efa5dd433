"""Ledger files: CSV (UTF-8 with a BOM, so Excel opens Chinese text right) and XLSX (openpyxl), streamed.

CSV is written as it is read: a batch of rows from the database becomes a chunk of the answer, and nothing
but that batch is ever in memory.

XLSX is a zip archive, and openpyxl writes one only when the workbook is saved. In ``write_only`` mode it
keeps each sheet's rows in a temporary file on disk as they are appended (memory stays at one batch), and
``save`` zips them. So the workbook is built into a temporary file — each batch appended in a worker
thread, so the event loop keeps serving — and that file is then streamed in 64 KiB chunks and deleted.
A truly streamed XLSX would need our own sheet-XML and zip writer (data descriptors after each entry);
for a download whose time is dominated by building rows, disk-bounded memory is what matters, and
openpyxl's well-tested output is worth the wait before the first byte (docs/performance.md measures it).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, cast

import anyio
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from server.console.services.ledgers import Cell, Column

__all__ = ["BOM", "CHUNK", "DATETIME_FORMAT", "DATE_FORMAT", "XlsxBook", "csv_chunks", "file_chunks"]

BOM: Final = "\ufeff"
CHUNK: Final = 64 * 1024
DATE_FORMAT: Final = "yyyy-mm-dd"
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


async def csv_chunks(
    columns: Sequence[Column], batches: AsyncIterator[list[list[Cell]]]
) -> AsyncIterator[bytes]:
    """The CSV file: BOM and header first, then one chunk per batch as the batches are read."""
    yield BOM.encode("utf-8") + _csv([[column.header for column in columns]])
    async for batch in batches:
        yield _csv([[_text(value) for value in row] for row in batch])


class XlsxBook:
    """A write-only workbook in a temporary file: one sheet per ledger, a bold header row, real dates."""

    def __init__(self) -> None:
        handle, name = tempfile.mkstemp(prefix="lianhu-ledger-", suffix=".xlsx")
        os.close(handle)
        self.path = Path(name)
        self._book = Workbook(write_only=True)
        self._sheet: WriteOnlyWorksheet | None = None
        self._columns: Sequence[Column] = ()
        self.rows = 0

    def sheet(self, title: str, columns: Sequence[Column]) -> None:
        self._sheet = self._book.create_sheet(title=title[:31])
        self._columns = columns
        self._sheet.freeze_panes = "A2"
        dimensions = self._sheet.column_dimensions  # type: ignore[union-attr]  # write-only sheets have them
        for index, column in enumerate(columns, start=1):
            dimensions[_letter(index)].width = _width(column)
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = WriteOnlyCell(self._sheet, value=column.header)
            cell.font = bold
            header.append(cell)
        self._sheet.append(header)

    def _append(self, batch: list[list[Cell]]) -> None:
        assert self._sheet is not None, "call sheet() first"
        sheet, columns = self._sheet, self._columns
        for row in batch:
            cells: list[object] = []
            for value, column in zip(row, columns, strict=True):
                if column.kind in ("date", "datetime") and value is not None:
                    cell = WriteOnlyCell(sheet, value=cast(Any, value))  # the stubs leave out date
                    cell.number_format = DATE_FORMAT if column.kind == "date" else DATETIME_FORMAT
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
        self.rows += len(batch)

    async def append(self, batch: list[list[Cell]]) -> None:
        await anyio.to_thread.run_sync(self._append, batch)

    async def save(self) -> Path:
        if not self._book.worksheets:
            self._book.create_sheet(title="空")
        await anyio.to_thread.run_sync(self._book.save, str(self.path))
        return self.path

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _width(column: Column) -> float:
    if column.kind == "datetime":
        return 17
    if column.kind == "date":
        return 12
    return max(8, min(40, len(column.header) * 2 + 4))


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """The file in :data:`CHUNK` pieces; deleted afterwards, also when the client goes away midway."""
    try:
        async with await anyio.open_file(path, "rb") as handle:
            while chunk := await handle.read(CHUNK):
                yield chunk
    finally:
        await anyio.Path(path).unlink(missing_ok=True)
