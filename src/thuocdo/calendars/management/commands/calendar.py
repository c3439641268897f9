"""`thuocdo calendar`: load the holiday table, show a year's days off, compute a deadline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from thuocdo.calendars import selectors, services
from thuocdo.calendars.models import CalendarDay
from thuocdo.core.workcalendar import VN_TZ, DayKind
from thuocdo.shared.tabular import ImportFailed

_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_KIND_LABELS = {k.value: str(k.label) for k in CalendarDay.Kind}


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"thời điểm «{text}» không hợp lệ: dùng dạng 2026-02-13T16:00") from exc
    # A time without a zone is Vietnam time, the way an operator would type it.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VN_TZ)


class Command(BaseCommand):
    help = "The working-day calendar: load the holiday table, show a year, compute a deadline."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{load,show,add-working-days,compute-year}"
        )
        load = sub.add_parser("load", help="upsert the holiday table (by date); the shipped table by default")
        load.add_argument(
            "--file", help="a CSV or XLSX with columns date,kind,name_vi[,name_en,source,confidence]"
        )
        show = sub.add_parser("show", help="print the non-working days of a year (besides ordinary weekends)")
        show.add_argument("year", type=int)
        add = sub.add_parser("add-working-days", help="print the deadline N working days after a moment")
        add.add_argument(
            "start", help="received at, e.g. 2026-02-13T16:00 (Vietnam time unless a zone is given)"
        )
        add.add_argument("n", type=float, help="working days (a day = the office hours' length)")
        add.add_argument("--agency", help="use this agency's office hours (its code)")
        compute = sub.add_parser(
            "compute-year", help="add a year's holidays computed from the Labour Code, marked «computed»"
        )
        compute.add_argument("year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "load": self._load,
            "show": self._show,
            "add-working-days": self._add_working_days,
            "compute-year": self._compute_year,
        }[options["subcommand"]]
        handler(options)

    def _load(self, options: dict[str, Any]) -> None:
        try:
            with transaction.atomic():
                result = services.load_calendar_days(source=options["file"], actor="thuocdo calendar load")
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"không tìm thấy tệp {options['file']}") from exc
        self.stdout.write(
            f"{result.file}: {len(result.created)} ngày thêm mới, {len(result.updated)} ngày cập nhật, "
            f"{result.unchanged} ngày không đổi"
        )

    def _show(self, options: dict[str, Any]) -> None:
        year = options["year"]
        calendar = selectors.work_calendar()
        origin = (
            "theo lịch nghỉ đã công bố" if calendar.is_announced_year(year) else "tính theo Bộ luật Lao động"
        )
        self.stdout.write(f"Năm {year} ({origin}):")
        for entry in calendar.entries(year):
            self.stdout.write(
                f"  {entry.date:%d/%m/%Y} {_WEEKDAYS[entry.date.weekday()]:<9} "
                f"{_KIND_LABELS[entry.kind.value]:<14} {entry.name}"
            )
        for day in selectors.uncertain_days(year=year):
            if calendar.entry(day.date) is None:
                self.stdout.write(
                    f"  {day.date:%d/%m/%Y} chưa chắc chắn, đang tính là ngày làm việc: {day.name_vi}"
                )
        start, end = date(year, 1, 1), date(year, 12, 31)
        off = calendar.non_working_days(start, end)
        holidays = [d for d in off if calendar.is_holiday(d) and d.weekday() < 5]
        total = (end - start).days + 1
        self.stdout.write(
            f"Tổng: {total - len(off)} ngày làm việc, {len(off)} ngày nghỉ "
            f"({len(holidays)} ngày nghỉ lễ, nghỉ bù, hoán đổi rơi vào ngày thường)"
        )

    def _add_working_days(self, options: dict[str, Any]) -> None:
        agency = None
        if options["agency"]:
            # By name, not by import: units sits above calendars in the layering.
            agency = apps.get_model("units", "Agency").objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"không có cơ quan mã {options['agency']}")
        if options["n"] < 0:
            raise CommandError("số ngày làm việc phải không âm")
        try:
            calendar = selectors.work_calendar(agency)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        start = _moment(options["start"])
        deadline = calendar.add_working_days(start, options["n"])
        self.stdout.write(
            f"{deadline.isoformat(timespec='minutes')} ({_WEEKDAYS[deadline.weekday()]} {deadline:%d/%m/%Y %H:%M})"
        )

    def _compute_year(self, options: dict[str, Any]) -> None:
        with transaction.atomic():
            added = services.add_computed_year(actor="thuocdo calendar compute-year", year=options["year"])
        self.stdout.write(
            f"Đã thêm {len(added)} ngày (độ tin cậy: tính theo luật). Sửa lại theo thông báo chính thức."
        )
        for day in added:
            kind = "" if day.kind == DayKind.HOLIDAY else f" ({_KIND_LABELS[day.kind]})"
            self.stdout.write(f"  {day.date:%d/%m/%Y} {day.name_vi}{kind}")
