"""Reading dossier files (JSONL, JSON array, CSV, XLSX, Parquet) as (location, document) records.

Every record carries its location ("hoso.csv, dòng 12") so an error can name it. A line that is not
JSON at all still becomes a record (an `Unreadable`) so that it is reported and quarantined with
the others instead of stopping the import.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from thuocdo.core.dossier import LIST_FIELDS
from thuocdo.shared.tabular import ImportFailed, read_table

FORMATS = ("jsonl", "json", "csv", "xlsx", "parquet")


@dataclass(frozen=True)
class Unreadable:
    """A record that could not even be decoded; `text` is what the file held."""

    text: str
    message: str


@dataclass(frozen=True)
class Source:
    """An opened file: its format, a size for the progress bar (bytes for JSONL, records otherwise)."""

    path: Path
    format: str
    total: int
    unit: str


def detect_format(path: Path) -> str:
    """The format from the extension (.jsonl/.ndjson, .json, .csv, .xlsx, .parquet)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix in FORMATS:
        return suffix
    raise ValueError(
        f"{path.name}: không nhận ra định dạng «.{suffix}» (dùng .jsonl, .json, .csv, .xlsx hoặc .parquet)"
    )


def open_source(path: Path, fmt: str | None = None) -> Source:
    """Check a file exists and size it for the progress bar."""
    if not path.is_file():
        raise ValueError(f"không tìm thấy tệp {path}")
    fmt = fmt or detect_format(path)
    if fmt == "jsonl":
        return Source(path, fmt, path.stat().st_size, "B")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return Source(path, fmt, pq.ParquetFile(path).metadata.num_rows, "hồ sơ")
    return Source(path, fmt, 0, "hồ sơ")


def read_records(source: Source, *, progress: Any = None) -> Iterator[tuple[str, Any]]:
    """Yield (location, document) for every record of the file, in file order."""
    reader = {"jsonl": _jsonl, "json": _json_array, "csv": _tabular, "xlsx": _tabular, "parquet": _parquet}[
        source.format
    ]
    yield from reader(source, progress)


def _jsonl(source: Source, progress: Any) -> Iterator[tuple[str, Any]]:
    # Lines stay bytes: decoding happens with validation (services.prepare_documents), in a worker if there is one.
    name = source.path.name
    with source.path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if progress is not None:
                progress.update(len(line))
            if line.strip():
                yield f"{name}, dòng {number}", line


@dataclass(frozen=True)
class LineBlock:
    """Consecutive lines of a JSONL file, kept as one bytes object: cheap to hand to a worker process."""

    name: str
    first: int  # number of the first line in the file, from 1
    data: bytes
    count: int  # non-blank lines, i.e. records

    def records(self) -> list[tuple[str, bytes]]:
        """(location, line) for every non-blank line, as read_records yields them."""
        name = self.name
        return [
            (f"{name}, dòng {number}", line)
            for number, line in enumerate(self.data.split(b"\n"), start=self.first)
            if line.strip()
        ]


def read_line_blocks(source: Source, *, size: int, progress: Any = None) -> Iterator[LineBlock]:
    """A JSONL file as blocks of `size` records (blank lines are skipped and not counted)."""
    name = source.path.name
    number = 1
    with source.path.open("rb") as handle:
        while True:
            lines: list[bytes] = []
            count = 0
            # Whole lines until `size` records: the loop touches each line once and copies nothing.
            for line in handle:
                lines.append(line)
                if line.strip():
                    count += 1
                    if count == size:
                        break
            if not lines:
                return
            data = b"".join(lines)
            if progress is not None:
                progress.update(len(data))
            yield LineBlock(name, number, data.removesuffix(b"\n"), count)
            number += len(lines)


def decode_line(line: bytes) -> Any:
    """One JSON record, or an Unreadable naming the problem."""
    try:
        return msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        return Unreadable(line.decode("utf-8", "replace").strip(), f"dòng không phải JSON hợp lệ: {exc}")


def _json_array(source: Source, progress: Any) -> Iterator[tuple[str, Any]]:
    name = source.path.name
    try:
        items = msgspec.json.decode(source.path.read_bytes())
    except msgspec.DecodeError as exc:
        raise ValueError(f"{name}: không phải JSON hợp lệ: {exc}") from exc
    if isinstance(items, dict) and isinstance(items.get("documents"), list):
        items = items["documents"]
    if not isinstance(items, list):
        raise ValueError(f'{name}: cần một mảng JSON các hồ sơ (hoặc {{"documents": [...]}})')
    if progress is not None:
        progress.total = len(items)
    for index, item in enumerate(items, start=1):
        if progress is not None:
            progress.update(1)
        yield f"{name}, phần tử {index}", item


def document_from_row(values: dict[str, Any]) -> dict[str, Any]:
    """A flat row (CSV, XLSX, Parquet) as a document: empty cells dropped, list columns decoded from JSON."""
    doc: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "" or not key:
            continue
        if key in LIST_FIELDS and isinstance(value, str):
            # Text that is not JSON stays text: the parser then reports the field by name.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        doc[key] = value
    return doc


def _tabular(source: Source, progress: Any) -> Iterator[tuple[str, Any]]:
    try:
        table = read_table(source.path)
    except ImportFailed as exc:
        raise ValueError(str(exc)) from exc
    if progress is not None:
        progress.total = len(table.rows)
    for row in table.rows:
        if progress is not None:
            progress.update(1)
        yield f"{table.file}, dòng {row.number}", document_from_row(row.values)


def _parquet(source: Source, progress: Any) -> Iterator[tuple[str, Any]]:
    import pyarrow.parquet as pq

    name = source.path.name
    number = 0
    for batch in pq.ParquetFile(source.path).iter_batches(batch_size=5000):
        rows = batch.to_pylist()
        if progress is not None:
            progress.update(len(rows))
        for values in rows:
            number += 1
            yield f"{name}, dòng {number}", document_from_row(values)
