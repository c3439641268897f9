"""`thuocdo agencies import FILE` / `thuocdo agencies export FILE.csv|FILE.xlsx`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from thuocdo.shared.tabular import ImportFailed
from thuocdo.units import services


class Command(BaseCommand):
    help = "Cơ quan, đơn vị: nhập (import) hoặc xuất (export) danh sách dạng CSV/XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="nhập tệp CSV/XLSX; có lỗi thì không ghi dòng nào")
        imp.add_argument("file", type=Path)
        exp = sub.add_parser("export", help="xuất ra tệp .csv hoặc .xlsx")
        exp.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["action"] == "import":
            if not path.is_file():
                raise CommandError(f"Không tìm thấy tệp {path}")
            try:
                with (
                    tqdm(desc="Cơ quan", unit=" dòng", file=sys.stderr, disable=None) as bar,
                    transaction.atomic(),
                ):
                    report = services.import_agencies(source=path, progress=bar, actor="cli")
            except ImportFailed as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"Đã nhập {path.name}: {len(report.created)} mới, {len(report.updated)} cập nhật, "
                f"{report.unchanged} không đổi."
            )
            return
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in {"csv", "xlsx"}:
            raise CommandError("Tên tệp xuất phải kết thúc bằng .csv hoặc .xlsx")
        path.write_bytes(services.export_agencies(fmt=fmt))
        self.stdout.write(f"Đã xuất {path}")
