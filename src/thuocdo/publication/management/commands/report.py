"""Reports from the CLI, with a progress bar.

thuocdo report 766 --month 2025-10 [--unit 66|24133|H66.01] --format pdf --output bao-cao-766.pdf
thuocdo report satisfaction --year 2025 --unit 66 --format pdf --output bao-cao.pdf
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from thuocdo.publication import report766, reports, selectors

# Steps the renderers report besides the content: charts and layout (PDF), tables (XLSX), charts (Word).
RENDER_STEPS = {"pdf": 3, "xlsx": 12, "docx": 2}


class Command(BaseCommand):
    help = "Generate a report (the monthly 766 report, the annual satisfaction report) as PDF, XLSX or DOCX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True, metavar="{766,satisfaction}")
        idx = sub.add_parser(
            "766",
            help="the monthly Decision 766 report of a province, commune or agency",
            description="The monthly Decision 766 report: index, groups and indicators, 12-month trend, "
            "rankings in comparison blocks, late units and officials.",
        )
        idx.add_argument("--month", required=True, help="the month, YYYY-MM (e.g. 2025-10)")
        idx.add_argument(
            "--unit",
            default="",
            help="province (2 digits), commune (5 digits) or agency code, or a scope key such as agency:H66.01 "
            "(default: the home province, THUOCDO_PROVINCE_CODE)",
        )
        idx.add_argument("--format", choices=list(reports.FORMATS), default="pdf")
        idx.add_argument("--output", help="file to write (default: bao-cao-766-<unit>-<month>.<format>)")
        idx.add_argument("--quiet", action="store_true", help="no progress bar")
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
        fmt = options["format"]
        if options["report"] == "766":
            try:
                target = report766.resolve_target(options["unit"])
                steps = report766.expected_steps(options["unit"]) + RENDER_STEPS[fmt]
            except reports.ReportError as exc:
                raise CommandError(str(exc)) from exc
            code = target.scope.key.partition(":")[2]
            default = f"bao-cao-766-{code}-{options['month']}.{fmt}"

            def build(progress: Callable[[str], None]) -> reports.Report:
                return report766.monthly_766_report(
                    unit=target.scope.key,
                    month=options["month"],
                    today=timezone.localdate(),
                    progress=progress,
                )

        else:
            unit = selectors.current_unit(options["unit"])
            if unit is None:
                raise CommandError(f"không có đơn vị mã {options['unit']}")
            steps = {"pdf": 6, "xlsx": 6, "docx": 5}[fmt]
            default = f"bao-cao-hai-long-{unit.code}-{options['year']}.{fmt}"

            def build(progress: Callable[[str], None]) -> reports.Report:
                return reports.satisfaction_report(
                    unit=unit,
                    year=options["year"],
                    today=timezone.localdate(),
                    measure=options["measure"],
                    progress=progress,
                )

        output = Path(options["output"] or default)
        with tqdm(
            total=steps, desc="Báo cáo", unit="bước", disable=options["quiet"], file=self.stderr
        ) as bar:

            def progress(step: str) -> None:
                bar.set_postfix_str(step[:40])
                if bar.n < bar.total:
                    bar.update(1)

            try:
                data = reports.render(build(progress), fmt, progress=progress)
            except reports.ReportError as exc:
                raise CommandError(str(exc)) from exc
            output.write_bytes(data)
            bar.n = bar.total
            bar.set_postfix_str("xong")
            bar.refresh()
        self.stdout.write(f"{output} ({len(data):,} byte)".replace(",", "."))
