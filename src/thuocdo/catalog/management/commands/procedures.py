"""`thuocdo procedures import FILE [--dry-run]` / `thuocdo procedures export FILE.csv|FILE.xlsx`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from thuocdo.catalog import services
from thuocdo.shared.tabular import ImportFailed


class Command(BaseCommand):
    help = "Thủ tục hành chính: nhập (import) từ tệp xuất của CSDL quốc gia về TTHC, hoặc xuất (export) CSV/XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="nhập tệp CSV/XLSX; có lỗi thì không ghi dòng nào")
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--dry-run", action="store_true", help="chỉ kiểm tra và cho biết sẽ thay đổi gì, không ghi"
        )
        exp = sub.add_parser("export", help="xuất toàn bộ danh mục ra tệp .csv hoặc .xlsx")
        exp.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["action"] == "import":
            if not path.is_file():
                raise CommandError(f"Không tìm thấy tệp {path}")
            try:
                with transaction.atomic():
                    result = services.import_procedures(source=path, actor="cli", dry_run=options["dry_run"])
            except ImportFailed as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(result.summary())
            return
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in {"csv", "xlsx"}:
            raise CommandError("Tên tệp xuất phải kết thúc bằng .csv hoặc .xlsx")
        with transaction.atomic():
            data = services.export_procedures(fmt=fmt)
        path.write_bytes(data)
        self.stdout.write(f"Đã xuất {path}")
