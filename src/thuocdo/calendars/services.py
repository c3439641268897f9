"""Writing the table of announced days off and make-up days. Every change is audit-logged.

Callers own the transaction (the request, or `transaction.atomic()` in a command). Processes pick
up changes by themselves: selectors.work_calendar compares the table's fingerprint on each call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from thuocdo.audit.services import record_change
from thuocdo.calendars.models import CalendarDay
from thuocdo.core.workcalendar import DayKind, WorkCalendar
from thuocdo.shared.tabular import ImportFailed, Row, RowError, read_table, require_columns

SHIPPED_TABLE = Path(__file__).resolve().parent / "data" / "holidays-vn.csv"
REQUIRED_COLUMNS = ("date", "kind", "name_vi")
EDITABLE_FIELDS = ("date", "kind", "name_vi", "name_en", "source", "confidence")
COLUMN_ALIASES: dict[str, Iterable[str]] = {
    "date": ["ngày", "ngay"],
    "kind": ["loại", "loai"],
    "name_vi": ["tên", "ten", "tên tiếng Việt"],
    "name_en": ["tên tiếng Anh"],
    "source": ["nguồn", "nguon"],
    "confidence": ["độ tin cậy", "do tin cay"],
}
_NAME_MAX = CalendarDay._meta.get_field("name_vi").max_length or 255
_SATURDAY = 5


@dataclass(frozen=True)
class LoadResult:
    """What a table load changed: dates created and updated, and how many rows were already identical."""

    file: str
    created: list[date] = field(default_factory=list)
    updated: list[date] = field(default_factory=list)
    unchanged: int = 0


def load_calendar_days(
    *, source: str | Path | IO[bytes] | None = None, name: str | None = None, actor: Any = None
) -> LoadResult:
    """Upsert the rows of a holidays CSV/XLSX (by date); all rows are checked before any is written."""
    table = read_table(source if source is not None else SHIPPED_TABLE, name=name, aliases=COLUMN_ALIASES)
    require_columns(table, REQUIRED_COLUMNS)
    errors: list[RowError] = []
    wanted: dict[date, dict[str, Any]] = {}
    first_row: dict[date, int] = {}
    for row in table.rows:
        values = _parse_row(row, errors)
        if values is None:
            continue
        day = values["date"]
        if day in first_row:
            errors.append(
                row.error(
                    "date",
                    _("ngày %(day)s đã có ở dòng %(row)d") % {"day": day.isoformat(), "row": first_row[day]},
                )
            )
            continue
        first_row[day] = row.number
        wanted[day] = values
    if errors:
        raise ImportFailed(errors)

    existing = {d.date: d for d in CalendarDay.objects.filter(date__in=list(wanted))}
    created: list[date] = []
    updated: list[date] = []
    changes: list[dict[str, Any]] = []
    for day, values in sorted(wanted.items()):
        current = existing.get(day)
        if current is None:
            CalendarDay.objects.create(**values)
            created.append(day)
            continue
        before = _diff(current, values)
        if before:
            for key, value in values.items():
                setattr(current, key, value)
            current.save()
            updated.append(day)
            changes.append({"date": day, "before": before, "after": {k: values[k] for k in before}})
    result = LoadResult(table.file, created, updated, len(wanted) - len(created) - len(updated))
    if created or updated:
        record_change(
            actor=actor,
            action="calendar.load",
            object_type=CalendarDay._meta.label_lower,
            summary=_("Nạp lịch ngày nghỉ từ %(file)s: %(created)d ngày thêm mới, %(updated)d ngày cập nhật")
            % {"file": table.file, "created": len(created), "updated": len(updated)},
            data={"file": table.file, "created": created, "updated": changes},
        )
    return result


def add_calendar_day(
    *,
    actor: Any = None,
    date: date,
    kind: str,
    name_vi: str,
    name_en: str = "",
    source: str = "",
    confidence: str = CalendarDay.Confidence.SOURCED,
) -> CalendarDay:
    """Add one announced day; ValidationError if the date is already in the table or a field is invalid."""
    day = CalendarDay(
        date=date, kind=kind, name_vi=name_vi, name_en=name_en, source=source, confidence=confidence
    )
    _validate(day)
    day.save()
    record_change(actor=actor, action="calendar.day.add", obj=day, data={"after": _snapshot(day)})
    return day


def update_calendar_day(*, actor: Any = None, day: CalendarDay, **changes: Any) -> CalendarDay:
    """Change fields of one announced day; ValidationError if the result is invalid."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    stored = CalendarDay.objects.get(pk=day.pk)
    before = _snapshot(stored)
    for key, value in changes.items():
        setattr(day, key, value)
    _validate(day)
    after = _snapshot(day)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return day
    day.save()
    record_change(
        actor=actor,
        action="calendar.day.edit",
        obj=day,
        data={"before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed}},
    )
    return day


def delete_calendar_day(*, actor: Any = None, day: CalendarDay) -> None:
    """Remove one announced day from the table."""
    snapshot = _snapshot(day)
    pk, label = day.pk, str(day)
    day.delete()
    record_change(
        actor=actor,
        action="calendar.day.delete",
        object_type=CalendarDay._meta.label_lower,
        object_id=str(pk),
        summary=label,
        data={"before": snapshot},
    )


def add_computed_year(*, actor: Any = None, year: int) -> list[CalendarDay]:
    """Write the Labour Code's holidays of `year` as rows marked «computed», ready to be corrected from the notice.

    Dates already in the table are left alone. Once a year has a holiday row it is read from the
    table only, so this is the way to start a year whose notice is only partly known.
    """
    taken = set(CalendarDay.objects.filter(date__year=year).values_list("date", flat=True))
    added = []
    for entry in WorkCalendar().statutory_entries(year):
        if entry.date in taken:
            continue
        day = CalendarDay(
            date=entry.date,
            kind=entry.kind.value,
            name_vi=entry.name,
            source=_("Tính theo Bộ luật Lao động"),
            confidence=CalendarDay.Confidence.COMPUTED,
        )
        day.save()
        added.append(day)
    if added:
        record_change(
            actor=actor,
            action="calendar.year.compute",
            object_type=CalendarDay._meta.label_lower,
            summary=_("Thêm %(count)d ngày nghỉ năm %(year)d tính theo Bộ luật Lao động")
            % {"count": len(added), "year": year},
            data={"year": year, "created": [_snapshot(d) for d in added]},
        )
    return added


def _parse_row(row: Row, errors: list[RowError]) -> dict[str, Any] | None:
    before = len(errors)
    raw_date = row.get("date")
    day = _parse_date(raw_date)
    if day is None:
        errors.append(
            row.error(
                "date",
                _("ngày «%(value)s» không hợp lệ: dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY")
                % {"value": raw_date},
            )
        )
    kind = row.get("kind")
    if kind not in CalendarDay.Kind.values:
        errors.append(
            row.error(
                "kind",
                _("loại «%(value)s» không hợp lệ: chọn một trong %(choices)s")
                % {"value": kind, "choices": ", ".join(CalendarDay.Kind.values)},
            )
        )
    elif kind == DayKind.SWAP_WORKDAY and day is not None and day.weekday() < _SATURDAY:
        errors.append(
            row.error(
                "kind", _("ngày làm bù %(day)s không phải Thứ Bảy hoặc Chủ nhật") % {"day": day.isoformat()}
            )
        )
    name_vi = row.get("name_vi")
    if not name_vi:
        errors.append(row.error("name_vi", _("thiếu tên ngày")))
    errors.extend(
        row.error(column, _("dài quá %(max)d ký tự") % {"max": _NAME_MAX})
        for column in ("name_vi", "name_en")
        if len(row.get(column)) > _NAME_MAX
    )
    confidence = row.get("confidence") or CalendarDay.Confidence.SOURCED
    if confidence not in CalendarDay.Confidence.values:
        errors.append(
            row.error(
                "confidence",
                _("độ tin cậy «%(value)s» không hợp lệ: chọn một trong %(choices)s")
                % {"value": confidence, "choices": ", ".join(CalendarDay.Confidence.values)},
            )
        )
    if len(errors) > before:
        return None
    return {
        "date": day,
        "kind": kind,
        "name_vi": name_vi,
        "name_en": row.get("name_en"),
        "source": row.get("source"),
        "confidence": confidence,
    }


def _parse_date(value: str) -> date | None:
    # ISO dates, spreadsheet date cells (ISO with a midnight time) and the Vietnamese DD/MM/YYYY.
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        return moment.date() if moment.time() == datetime.min.time() else None
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()  # noqa: DTZ007 - a calendar date, no time of day
    except ValueError:
        return None


def _diff(current: CalendarDay, values: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(current, k) for k, v in values.items() if getattr(current, k) != v}


def _snapshot(day: CalendarDay) -> dict[str, Any]:
    return {k: getattr(day, k) for k in EDITABLE_FIELDS}


def _validate(day: CalendarDay) -> None:
    day.full_clean(exclude=["updated_at"])
    if day.kind == DayKind.SWAP_WORKDAY and day.date.weekday() < _SATURDAY:
        raise ValidationError({"kind": _("Ngày làm bù phải là Thứ Bảy hoặc Chủ nhật.")})
