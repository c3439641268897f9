"""`thuocdo units load|which|search`: the administrative-unit catalogue from the command line."""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from thuocdo.units import selectors, services


class Command(BaseCommand):
    help = "Đơn vị hành chính: nạp danh mục (load), tra cứu mã theo ngày (which), tìm theo tên (search)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="nạp 34 tỉnh/3.321 xã (từ 01/07/2025), 63 tỉnh cũ và quan hệ kế thừa"
        )
        load.add_argument(
            "--province",
            action="append",
            dest="provinces",
            metavar="CODE",
            help="chỉ nạp tỉnh/thành phố hiện hành có mã này (có thể lặp lại), cùng các tỉnh cũ hợp thành",
        )
        which = sub.add_parser("which", help="mã CODE là đơn vị nào vào ngày --on, và nay là đơn vị nào")
        which.add_argument("code")
        which.add_argument(
            "--on", type=date.fromisoformat, default=None, help="ngày (YYYY-MM-DD), mặc định hôm nay"
        )
        which.add_argument("--level", choices=["province", "district", "commune"], default=None)
        search = sub.add_parser("search", help="tìm đơn vị theo tên, không phân biệt dấu")
        search.add_argument("text", nargs="+")
        search.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _load(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        with (
            tqdm(desc="Đơn vị hành chính", unit=" dòng", file=sys.stderr, disable=None) as bar,
            transaction.atomic(),
        ):
            report = services.load_units(provinces=options["provinces"], progress=bar)
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.counts.items()))
        self.stdout.write(f"Danh mục: {counts}")
        self.stdout.write(
            f"Đơn vị: {report.created} mới, {report.updated} cập nhật, {report.unchanged} không đổi; "
            f"quan hệ kế thừa: {report.lineage_created} mới, {report.lineage_updated} cập nhật ({elapsed:.1f} giây)"
        )

    def _which(self, options: dict[str, Any]) -> None:
        on = options["on"] or date.today()  # noqa: DTZ011 - a calendar date in the operator's own zone
        answer = selectors.which(options["code"], on, options["level"])
        if answer.unit is None:
            raise CommandError(f"Không có đơn vị nào mang mã {answer.code} vào ngày {on:%d/%m/%Y}.")
        self.stdout.write(f"Ngày {on:%d/%m/%Y}, mã {answer.code}: {_describe(answer.unit)}")
        if not answer.now:
            self.stdout.write("Nay: không xác định được đơn vị kế thừa.")
        elif len(answer.now) == 1 and answer.now[0].unit.pk == answer.unit.pk:
            self.stdout.write("Nay: vẫn là đơn vị này.")
        else:
            self.stdout.write("Nay:")
            for successor in answer.now:
                mark = " (phần chính)" if successor.is_primary and len(answer.now) > 1 else ""
                self.stdout.write(f"  {_describe(successor.unit)}{mark}")

    def _search(self, options: dict[str, Any]) -> None:
        units = selectors.search_units(" ".join(options["text"]), limit=options["limit"])
        if not units:
            self.stdout.write("Không tìm thấy đơn vị nào.")
        for unit in units:
            self.stdout.write(_describe(unit))


def _describe(unit: Any) -> str:
    parent = f", {unit.parent.name}" if unit.parent_id else ""
    era = "từ 01/07/2025" if unit.structure == "2025" else "trước 01/07/2025"
    return f"{unit.code} {unit.name}{parent} [{unit.get_level_display()}, {era}]"
