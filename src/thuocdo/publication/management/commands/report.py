"""`thuocdo report satisfaction --year 2025 --unit 66 --format pdf --output bao-cao.pdf`: reports from the CLI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from thuocdo.publication import reports, selectors


class Command(BaseCommand):
    help = "Generate a report as PDF, XLSX or DOCX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True, metavar="{satisfaction}")
        sat = sub.add_parser("satisfaction", help="the annual satisfaction report of a province or commune")
        sat.add_argument("--year", type=int, required=True)
        sat.add_argument("--unit", required=True, help="province (2 digits) or commune (5 digits) code")
        sat.add_argument("--format", choices=list(reports.FORMATS), default="pdf")
        sat.add_argument("--output", help="file to write (default: bao-cao-hai-long-<unit>-<year>.<format>)")
        sat.add_argument("--measure", default="sipas")
        sat.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its page-by-page log would hide the bar
        logging.getLogger("fontTools").setLevel(logging.WARNING)
        unit = selectors.current_unit(options["unit"])
        if unit is None:
            raise CommandError(f"không có đơn vị mã {options['unit']}")
        fmt = options["format"]
        output = Path(options["output"] or f"bao-cao-hai-long-{unit.code}-{options['year']}.{fmt}")
        steps = {"pdf": 6, "xlsx": 6, "docx": 5}[fmt]
        with tqdm(
            total=steps, desc="Báo cáo", unit="bước", disable=options["quiet"], file=self.stderr
        ) as bar:

            def progress(step: str) -> None:
                bar.set_postfix_str(step)
                bar.update(1)

            try:
                report = reports.satisfaction_report(
                    unit=unit,
                    year=options["year"],
                    today=timezone.localdate(),
                    measure=options["measure"],
                    progress=progress,
                )
                data = reports.render(report, fmt, progress=progress)
            except reports.ReportError as exc:
                raise CommandError(str(exc)) from exc
            output.write_bytes(data)
            bar.n = bar.total
            bar.set_postfix_str("xong")
            bar.refresh()
        self.stdout.write(f"{output} ({len(data):,} byte)".replace(",", "."))
