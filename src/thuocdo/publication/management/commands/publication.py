"""`thuocdo publication`: import published history, publish a survey campaign, take the daily ranking snapshot,
set and list targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from thuocdo.publication import selectors, services
from thuocdo.shared.tabular import ImportFailed


class Command(BaseCommand):
    help = "Publication: import history (CSV/XLSX), publish survey results and 766 months, daily ranking snapshot, targets."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar="{import-history,publish-survey,publish-766,snapshot,set-target,targets}",
        )
        index = sub.add_parser(
            "publish-766",
            help="compute and publish a month of the 766 index (province, block agencies, communes, late lists); "
            "again = replace",
        )
        index.add_argument("--month", required=True, help="the month, YYYY-MM (e.g. 2025-10)")
        index.add_argument("--demo", action="store_true", help="mark the figures as demonstration data")
        survey = sub.add_parser(
            "publish-survey",
            help="publish a closed campaign's design-based estimates (small cells withheld); again = replace",
        )
        survey.add_argument("campaign", help="the campaign's slug")
        survey.add_argument("--year", type=int, default=None, help="the figures' year (default: start year)")
        imp = sub.add_parser(
            "import-history",
            help="import published values: unit_code (or agency_code), year, measure, value[, period, "
            "component:<name>…, ci_low, ci_high, n, weight, source, structure]",
        )
        imp.add_argument("file", help="a CSV or XLSX file")
        imp.add_argument("--demo", action="store_true", help="mark the values as demonstration data")
        snap = sub.add_parser(
            "snapshot", help="store today's rankings with rank changes since the previous snapshot"
        )
        snap.add_argument(
            "--date", type=date.fromisoformat, default=None, help="the snapshot's date (default: today)"
        )
        target = sub.add_parser(
            "set-target", help="adopt a target (it replaces the version in force for that year)"
        )
        target.add_argument("--measure", default="sipas")
        target.add_argument("--threshold", required=True, help="e.g. 90")
        target.add_argument("--year", type=int, required=True, help="the year by which it must be reached")
        target.add_argument("--label", required=True)
        target.add_argument(
            "--from",
            dest="effective_from",
            type=date.fromisoformat,
            required=True,
            help="in force from (YYYY-MM-DD)",
        )
        target.add_argument("--unit", help="a province or commune code (default: applies to all)")
        target.add_argument("--source", default="", help="the decision or plan that sets it")
        listing = sub.add_parser("targets", help="list the targets in force")
        listing.add_argument("--measure", default="sipas")

    def handle(self, *args: Any, **options: Any) -> None:
        {
            "import-history": self._import,
            "publish-survey": self._publish_survey,
            "publish-766": self._publish_766,
            "snapshot": self._snapshot,
            "set-target": self._set_target,
            "targets": self._targets,
        }[options["subcommand"]](options)

    def _import(self, options: dict[str, Any]) -> None:
        try:
            with transaction.atomic():
                report = services.import_history(
                    source=options["file"],
                    actor="thuocdo publication import-history",
                    is_demo=options["demo"],
                )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"không tìm thấy tệp {options['file']}") from exc
        self.stdout.write(report.summary())
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"  {warning}"))

    def _publish_survey(self, options: dict[str, Any]) -> None:
        campaign = selectors.survey_campaign(options["campaign"])
        if campaign is None:
            raise CommandError(f"không có đợt khảo sát «{options['campaign']}»")
        try:
            with transaction.atomic():
                report = services.publish_campaign_results(
                    campaign=campaign,
                    actor="thuocdo publication publish-survey",
                    now=timezone.now(),
                    year=options["year"],
                )
        except services.PublishError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())

    def _publish_766(self, options: dict[str, Any]) -> None:
        try:
            with transaction.atomic():
                report = services.publish_index766_month(
                    month=options["month"],
                    actor="thuocdo publication publish-766",
                    now=timezone.now(),
                    is_demo=options["demo"],
                )
        except services.PublishError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())

    def _snapshot(self, options: dict[str, Any]) -> None:
        on = options["date"] or timezone.localdate()
        with transaction.atomic():
            report = services.take_snapshot(on=on, actor="thuocdo publication snapshot")
        self.stdout.write(
            f"Ảnh chụp ngày {on:%d/%m/%Y}: {report.snapshots} bảng xếp hạng, {report.rows} dòng, "
            f"{report.moved} đơn vị đổi hạng"
        )

    def _set_target(self, options: dict[str, Any]) -> None:
        try:
            threshold = Decimal(options["threshold"].replace(",", "."))
        except InvalidOperation as exc:
            raise CommandError(f"ngưỡng «{options['threshold']}» không phải số") from exc
        unit = None
        if options["unit"]:
            unit = selectors.current_unit(options["unit"])
            if unit is None:
                raise CommandError(f"không có đơn vị mã {options['unit']}")
        try:
            with transaction.atomic():
                target = services.set_target(
                    measure=options["measure"],
                    threshold=threshold,
                    target_year=options["year"],
                    label=options["label"],
                    effective_from=options["effective_from"],
                    unit=unit,
                    source=options["source"],
                    actor="thuocdo publication set-target",
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Đã ghi mục tiêu: {target.label} (≥ {target.threshold} năm {target.target_year})")

    def _targets(self, options: dict[str, Any]) -> None:
        for target in selectors.targets_in_force(options["measure"], on=timezone.localdate()):
            self.stdout.write(
                f"{target.target_year}  ≥ {target.threshold}  {target.label}  (từ {target.effective_from:%d/%m/%Y})"
            )
