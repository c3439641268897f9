"""Reading the calendar: the WorkCalendar every deadline is computed with.

The calendar is built once per process and reused while the table is unchanged. Each call runs one
small query (row count and latest `updated_at`) so an edit made by any process, or a rolled-back
test, is seen at once. Code that computes many deadlines should fetch the calendar once and reuse it.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import replace
from datetime import date, time
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from thuocdo.calendars.models import CalendarDay
from thuocdo.core.workcalendar import AnnouncedDay, DayKind, WorkCalendar, parse_office_hours


class HasOfficeHours(Protocol):
    # units.Agency satisfies this; calendars sits below units, so it must not import it.
    code: str
    office_hours: Any


_lock = threading.Lock()
_state: dict[str, Any] = {"key": None, "base": None, "by_hours": {}}


def uncertain_holidays_are_off() -> bool:
    """The THUOCDO["UNCERTAIN_HOLIDAYS_ARE_OFF"] setting: count `uncertain` rows as days off."""
    return bool(settings.THUOCDO.get("UNCERTAIN_HOLIDAYS_ARE_OFF", False))


def office_hours_of(agency: HasOfficeHours | None) -> tuple[tuple[time, time], ...]:
    """The agency's office hours (the default ones when it has none); ValueError naming the agency if invalid."""
    if agency is None:
        return parse_office_hours(None)
    try:
        return parse_office_hours(agency.office_hours)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            _("Giờ làm việc của cơ quan %(code)s không hợp lệ: %(error)s")
            % {"code": agency.code, "error": exc}
        ) from exc


def work_calendar(agency: HasOfficeHours | None = None) -> WorkCalendar:
    """The working-day calendar from the announced table, with the agency's office hours."""
    hours = office_hours_of(agency)
    include_uncertain = uncertain_holidays_are_off()
    stamp = CalendarDay.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    key = (stamp["n"], stamp["last"], include_uncertain)
    with _lock:
        if _state["key"] != key:
            _state["base"] = WorkCalendar(announced=_announced_days(), include_uncertain=include_uncertain)
            _state["by_hours"] = {}
            _state["key"] = key
        base: WorkCalendar = _state["base"]
        by_hours: dict[tuple[tuple[time, time], ...], WorkCalendar] = _state["by_hours"]
        if hours == base.office_hours:
            return base
        if hours not in by_hours:
            by_hours[hours] = replace(base, office_hours=hours)
        return by_hours[hours]


def clear_cache() -> None:
    """Forget the cached calendar (the next call rebuilds it)."""
    with _lock:
        _state.update(key=None, base=None, by_hours={})


def calendar_days(*, year: int | None = None) -> QuerySet[CalendarDay]:
    """Rows of the announced table, in date order, optionally of one year."""
    days = CalendarDay.objects.all()
    if year is not None:
        days = days.filter(date__year=year)
    return days.order_by("date")


def uncertain_days(*, year: int | None = None) -> QuerySet[CalendarDay]:
    """Rows not yet confirmed by a law or notice."""
    return calendar_days(year=year).filter(confidence=CalendarDay.Confidence.UNCERTAIN)


def table_years() -> list[int]:
    """Years that have at least one row in the table."""
    return [d.year for d in CalendarDay.objects.dates("date", "year")]


def _announced_days() -> tuple[AnnouncedDay, ...]:
    rows = CalendarDay.objects.order_by("date").values_list("date", "kind", "name_vi", "confidence")
    return tuple(
        AnnouncedDay(
            date=day, kind=DayKind(kind), name=name, uncertain=confidence == CalendarDay.Confidence.UNCERTAIN
        )
        for day, kind, name, confidence in rows
    )


SHIPPED_TABLE = Path(__file__).resolve().parent / "data" / "holidays-vn.csv"


def shipped_calendar(*, include_uncertain: bool = False) -> WorkCalendar:
    """The calendar from the table shipped with the package, for stateless tools that have no database."""
    with SHIPPED_TABLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    announced = tuple(
        AnnouncedDay(
            date=date.fromisoformat(row["date"]),
            kind=DayKind(row["kind"]),
            name=row["name_vi"],
            uncertain=row["confidence"] == "uncertain",
        )
        for row in rows
    )
    return WorkCalendar(announced=announced, include_uncertain=include_uncertain)
