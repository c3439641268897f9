"""Reading CSV and XLSX files for imports, with errors that name the file, row and column.

An import reads every row first and collects every problem; the caller applies the rows only
if there is none, inside one transaction, so a file is applied entirely or not at all.
Row numbers are the ones a person sees in a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from thuocdo.core.text import fold


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", dòng {self.row}"
        if self.column:
            where += f", cột «{self.column}»"
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    """Raised with every problem found; nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        shown = "\n".join(str(e) for e in self.errors[:50])
        more = f"\n… và {len(self.errors) - 50} lỗi khác" if len(self.errors) > 50 else ""
        super().__init__(f"{len(self.errors)} lỗi, không có dữ liệu nào được ghi:\n{shown}{more}")


@dataclass
class Row:
    number: int
    values: dict[str, str]
    file: str

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def error(self, column: str | None, message: str) -> RowError:
        return RowError(self.file, self.number, column, message)


@dataclass
class Table:
    file: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def _decode(data: bytes, file: str) -> str:
    # Vietnamese CSVs arrive as UTF-8 (with or without BOM) or, from older Excel, UTF-16; cp1258 is the legacy code page.
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            [
                RowError(
                    file,
                    None,
                    None,
                    f"tệp không phải UTF-8 (byte lỗi ở vị trí {exc.start}); hãy lưu lại dưới dạng CSV UTF-8",
                )
            ]
        ) from exc


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def read_table(
    source: str | Path | IO[bytes],
    *,
    name: str | None = None,
    aliases: dict[str, Iterable[str]] | None = None,
) -> Table:
    """Read a CSV or XLSX file into a Table. `aliases` maps canonical column names to accepted headers."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        file = name or path.name
        data = path.read_bytes()
    else:
        file = name or getattr(source, "name", "upload")
        data = source.read()
    header_map = _alias_lookup(aliases or {})
    if data[:4] == b"PK\x03\x04":
        raw_rows = _xlsx_rows(data, file)
    else:
        text = _decode(data, file)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel  # type: ignore[assignment]
        raw_rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    if not raw_rows or not any(c.strip() for c in raw_rows[0]):
        raise ImportFailed([RowError(file, 1, None, "thiếu dòng tiêu đề")])
    headers = [header_map.get(fold(h), h.strip()) for h in raw_rows[0]]
    table = Table(file=file, columns=headers)
    for offset, raw in enumerate(raw_rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        table.rows.append(
            Row(offset, {h: (raw[i] if i < len(raw) else "") for i, h in enumerate(headers)}, file)
        )
    return table


def require_columns(table: Table, required: Iterable[str]) -> None:
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ImportFailed([RowError(table.file, 1, c, "thiếu cột bắt buộc") for c in missing])


def _alias_lookup(aliases: dict[str, Iterable[str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical, names in aliases.items():
        lookup[fold(canonical)] = canonical
        for n in names:
            lookup[fold(n)] = canonical
    return lookup


def _xlsx_rows(data: bytes, file: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise ImportFailed([RowError(file, None, None, f"không đọc được tệp Excel: {exc}")]) from exc
    sheet = workbook.worksheets[0]
    return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str) -> bytes:
    """Write rows as CSV (UTF-8 with BOM so Excel shows Vietnamese correctly) or XLSX."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(list(columns))
        for row in rows:
            sheet.append(list(row))
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}")
