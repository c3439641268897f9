"""Working days, office hours and deadline arithmetic for Vietnamese public bodies.

A `WorkCalendar` is an immutable value built from

* the statutory holidays, computed for any year from the Labour Code in force (`HolidayStatute`,
  versioned by effective date): 1/1, the Tết days, Giỗ Tổ Hùng Vương (10/3 lunar), 30/4, 1/5,
  2/9 (plus one adjacent day from 2021). A holiday on a Saturday or Sunday is compensated on the
  next working day (nghỉ bù). The Prime Minister picks the Tết days and the day adjacent to 2/9
  each year; `tet_rule` and `national_day_rule` are parameters whose defaults reproduce 2015–2026;
* the announced days (`AnnouncedDay`: holiday, compensatory, swap_off, swap_workday, extra_off).
  A year with at least one announced `holiday` is taken entirely from the announcements (the
  table is the Government's notice for that year); in any other year the computed holidays apply
  and announced rows override them date by date. Rows marked `uncertain` are ignored unless
  `include_uncertain` is set;
* the office hours, any list of intervals in a day (default 07:00–11:30 and 13:30–17:00).

Conventions (the Thanh Hóa reference implementation, stated exactly):

* All times are Vietnam time (UTC+7, no daylight saving). Inputs must be timezone-aware, in any
  zone; results are in `VN_TZ`.
* Office time is the union of the half-open intervals [open, close) of every working day.
* `next_working_moment(ts)` is `ts` if it is inside office time, else the next opening time: a
  dossier received at or after 17:00 starts at 07:00 on the next working day, one received during
  the lunch break starts at 13:30, one received on a day off starts on the next working morning.
* `add_working_hours(ts, h)` is the earliest moment by which `h` of office time has elapsed since
  `ts`. For h > 0 it can be a closing time (11:30 or 17:00) but never a break or a day off: eight
  hours from Monday 07:00 is Monday 17:00, not Tuesday 07:00. For h = 0 it is
  `next_working_moment(ts)`.
* `add_working_days(ts, n)` is `add_working_hours(ts, n × day_length)`, day_length being the length of
  the office hours (8 h by default). Friday 13/2/2026 16:00 + 3 working days: 1 h on Friday, Tết
  from 14/2 to 22/2, 8 h on Monday 23/2, 8 h on Tuesday 24/2, 7 h on Wednesday 25/2 → 25/2 16:00.
* `working_time_between(a, b)` is the office time in [a, b) (negative if b < a); it is additive and
  `working_time_between(a, add_working_hours(a, h)) == h`.
* `add_calendar_days(ts, n, skip_holidays)` counts n calendar days from the day of
  `next_working_moment(ts)` (optionally not counting holidays, compensatory, swapped and extra days
  off; weekends always count) and keeps that clock time; a result on a day off moves to the next
  working day at the same clock time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from thuocdo.core import lunar

VN_TZ = timezone(timedelta(hours=7), "UTC+07:00")
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
# Guards against a calendar in which no working day ever comes (every day announced as off).
_MAX_SCAN_DAYS = 366 * 30
_SATURDAY = 5
_WEEKDAY_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


class DayKind(StrEnum):
    HOLIDAY = "holiday"
    COMPENSATORY = "compensatory"
    SWAP_OFF = "swap_off"
    SWAP_WORKDAY = "swap_workday"
    EXTRA_OFF = "extra_off"


OFF_KINDS = frozenset({DayKind.HOLIDAY, DayKind.COMPENSATORY, DayKind.SWAP_OFF, DayKind.EXTRA_OFF})


@dataclass(frozen=True)
class AnnouncedDay:
    """One row of the announced table: a day off or a make-up working Saturday."""

    date: date
    kind: DayKind
    name: str = ""
    uncertain: bool = False


@dataclass(frozen=True)
class CalendarEntry:
    """A day that differs from an ordinary week: its kind, its name and where it comes from."""

    date: date
    kind: DayKind
    name: str
    announced: bool

    @property
    def is_working(self) -> bool:
        """True only for a make-up working day (làm bù)."""
        return self.kind is DayKind.SWAP_WORKDAY


@dataclass(frozen=True)
class HolidayStatute:
    """The holiday rules of one version of the Labour Code, in force from `effective`."""

    effective: date
    name: str
    tet_days: int
    national_day_days: int


# Versioned data: a new Labour Code gets a new row, never an edit of an old one.
DEFAULT_STATUTES: tuple[HolidayStatute, ...] = (
    # The earliest rules modelled; dates before 2013 also use them. Tết 2013 fell under this Code.
    HolidayStatute(date(2013, 1, 1), "BLLĐ 1994 Đ.73 (sửa đổi 2007)", tet_days=4, national_day_days=1),
    HolidayStatute(date(2013, 5, 1), "BLLĐ 2012 (10/2012/QH13) Đ.115", tet_days=5, national_day_days=1),
    HolidayStatute(date(2021, 1, 1), "BLLĐ 2019 (45/2019/QH14) Đ.112", tet_days=5, national_day_days=2),
)

TetRule = Callable[[date, int], Sequence[date]]
NationalDayRule = Callable[[date], date]


def default_tet_days(first_day: date, count: int) -> tuple[date, ...]:
    """The PM's usual choice: start 1 day before mùng 1 if it is a Monday or Tuesday, else 2 days before."""
    # Reproduces every Tết from 2015 to 2026 (2014 started 1 day before a Friday Tết).
    before = 1 if first_day.weekday() in (0, 1) else 2
    start = first_day - timedelta(days=before)
    return tuple(start + timedelta(days=i) for i in range(count))


def default_national_day_adjacent(national_day: date) -> date:
    """The PM's usual choice: the day after 2/9 if 2/9 is a Monday, Thursday or Sunday, else the day before."""
    # Reproduces 2021–2026: the extra day joins 2/9 to a weekend whenever it can.
    after = national_day.weekday() in (0, 3, 6)
    return national_day + timedelta(days=1 if after else -1)


def parse_office_hours(value: Iterable[Sequence[str]] | None) -> tuple[tuple[time, time], ...]:
    """Turn [["07:00", "11:30"], ...] into office-hour intervals; empty or None gives the default."""
    items = list(value or [])
    if not items:
        return DEFAULT_OFFICE_HOURS
    hours: list[tuple[time, time]] = []
    for item in items:
        if len(item) != 2:
            raise ValueError(f"office hours interval must be [open, close], got {item!r}")
        try:
            hours.append((time.fromisoformat(str(item[0])), time.fromisoformat(str(item[1]))))
        except ValueError as exc:
            raise ValueError(f"office hours interval {item!r}: times must be HH:MM") from exc
    return _check_office_hours(tuple(hours))


def _check_office_hours(hours: tuple[tuple[time, time], ...]) -> tuple[tuple[time, time], ...]:
    if not hours:
        raise ValueError("office hours must have at least one interval")
    previous_close: time | None = None
    for opening, closing in hours:
        if opening.tzinfo is not None or closing.tzinfo is not None:
            raise ValueError("office hours are wall-clock times without a time zone")
        if opening >= closing:
            raise ValueError(f"office hours interval {opening:%H:%M}–{closing:%H:%M} closes before it opens")
        if previous_close is not None and opening < previous_close:
            raise ValueError("office hours intervals must be in order and must not overlap")
        previous_close = closing
    return hours


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _lunar_day_name(d: date) -> str:
    ld = lunar.to_lunar(d)
    if ld.month == 1:
        return f"mùng {ld.day} tháng Giêng" if ld.day <= 10 else f"{ld.day} tháng Giêng"
    return f"{ld.day} tháng Chạp" if ld.month == 12 else f"{ld.day} tháng {ld.month}"


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and office hours; every deadline in the product is computed with one of these."""

    announced: tuple[AnnouncedDay, ...] = ()
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    include_uncertain: bool = False
    statutes: tuple[HolidayStatute, ...] = DEFAULT_STATUTES
    tet_rule: TetRule = default_tet_days
    national_day_rule: NationalDayRule = default_national_day_adjacent
    # Per-year entries, filled on first use. Not part of the value: two equal calendars may differ here.
    _years: dict[int, dict[date, CalendarEntry]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        _check_office_hours(self.office_hours)
        if not self.statutes:
            raise ValueError("at least one holiday statute is needed")
        seen: set[date] = set()
        for row in self.announced:
            if row.date in seen:
                raise ValueError(f"announced day {row.date.isoformat()} is listed twice")
            seen.add(row.date)
        object.__setattr__(self, "statutes", tuple(sorted(self.statutes, key=lambda s: s.effective)))

    # -- days ---------------------------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        """Office time in one working day (8 hours by default)."""
        return sum((_offset(c) - _offset(o) for o, c in self.office_hours), timedelta())

    def statute_on(self, d: date) -> HolidayStatute:
        """The holiday rules in force on `d` (the earliest ones for dates before them)."""
        current = self.statutes[0]
        for statute in self.statutes:
            if statute.effective <= d:
                current = statute
        return current

    def is_announced_year(self, year: int) -> bool:
        """True if `year` is taken from the announced table rather than computed by the rules."""
        return any(r.kind is DayKind.HOLIDAY for r in self._rows(year))

    def entries(self, year: int) -> tuple[CalendarEntry, ...]:
        """Every day of `year` that differs from an ordinary week (holidays, days off, make-up days)."""
        return tuple(sorted(self._year(year).values(), key=lambda e: e.date))

    def entry(self, d: date) -> CalendarEntry | None:
        """The holiday, day off or make-up day on `d`, if any."""
        return self._year(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """True for Monday–Friday that is not a day off, and for make-up working Saturdays."""
        found = self._year(d.year).get(d)
        if found is not None:
            return found.is_working
        return d.weekday() < _SATURDAY

    def is_holiday(self, d: date) -> bool:
        """True for a public holiday or an announced/compensatory day off (not for an ordinary weekend)."""
        found = self._year(d.year).get(d)
        return found is not None and found.kind in OFF_KINDS

    def non_working_days(self, start: date, end: date) -> list[date]:
        """Every non-working day from `start` to `end`, both included."""
        days = []
        d = start
        while d <= end:
            if not self.is_working_day(d):
                days.append(d)
            d += timedelta(days=1)
        return days

    def shift_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (before it if n < 0); for n = 0, `d` or the next working day."""
        step = timedelta(days=1 if n >= 0 else -1)
        if n == 0:
            return self._next_working_day(d)
        remaining = abs(n)
        for _ in range(_MAX_SCAN_DAYS + remaining * 7):
            d += step
            if self.is_working_day(d):
                remaining -= 1
                if remaining == 0:
                    return d
        raise ValueError("no working day found in the calendar's range")

    def count_working_days(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.count_working_days(end, start)
        count = 0
        d = start + timedelta(days=1)
        while d <= end:
            count += self.is_working_day(d)
            d += timedelta(days=1)
        return count

    # -- moments --------------------------------------------------------------------------------

    def is_working_moment(self, ts: datetime) -> bool:
        """True if `ts` falls inside office hours of a working day."""
        local = _local(ts)
        if not self.is_working_day(local.date()):
            return False
        tod = _time_of_day(local)
        return any(o <= tod < c for o, c in self._intervals)

    def next_working_moment(self, ts: datetime) -> datetime:
        """`ts` itself if it is office time, else the next opening time."""
        local = _local(ts)
        d, tod = local.date(), _time_of_day(local)
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(d):
                for opening, closing in self._intervals:
                    if tod < closing:
                        return _at(d, max(opening, tod))
            d += timedelta(days=1)
            tod = timedelta()
        raise ValueError("no working day found in the calendar's range")

    def add_working_hours(self, ts: datetime, hours: float | timedelta) -> datetime:
        """The earliest moment by which `hours` of office time have elapsed since `ts`."""
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if remaining < timedelta():
            raise ValueError("cannot add a negative amount of working time")
        if remaining == timedelta():
            return self.next_working_moment(ts)
        local = _local(ts)
        d, tod = local.date(), _time_of_day(local)
        for _ in range(_MAX_SCAN_DAYS + remaining // max(self.day_length, timedelta(seconds=1)) * 2):
            if self.is_working_day(d):
                for opening, closing in self._intervals:
                    if closing <= tod:
                        continue
                    begin = max(opening, tod)
                    available = closing - begin
                    if remaining <= available:
                        return _at(d, begin + remaining)
                    remaining -= available
            d += timedelta(days=1)
            tod = timedelta()
        raise ValueError("no working day found in the calendar's range")

    def add_working_days(self, ts: datetime, n: float) -> datetime:
        """Deadline of n working days from `ts`: n × day_length of office time (see the module doc)."""
        if n < 0:
            raise ValueError("cannot add a negative number of working days")
        return self.add_working_hours(ts, self.day_length * n)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time in [a, b); negative if b is before a."""
        start, end = _local(a), _local(b)
        if end < start:
            return -self.working_time_between(end, start)
        if start.date() == end.date():
            return self._worked_until(start.date(), _time_of_day(end)) - self._worked_until(
                start.date(), _time_of_day(start)
            )
        total = self._worked_until(start.date(), timedelta(days=1)) - self._worked_until(
            start.date(), _time_of_day(start)
        )
        day_length = self.day_length
        d = start.date() + timedelta(days=1)
        while d < end.date():
            if self.is_working_day(d):
                total += day_length
            d += timedelta(days=1)
        return total + self._worked_until(end.date(), _time_of_day(end))

    def add_calendar_days(self, ts: datetime, n: int, skip_holidays: bool = False) -> datetime:
        """Deadline of n calendar days from `ts` (see the module doc); holidays not counted if asked."""
        if n < 0:
            raise ValueError("cannot add a negative number of days")
        start = self.next_working_moment(ts)
        d, tod = start.date(), _time_of_day(start)
        counted = 0
        while counted < n:
            d += timedelta(days=1)
            if skip_holidays and self.is_holiday(d):
                continue
            counted += 1
        return _at(self._next_working_day(d), tod)

    # -- internals ------------------------------------------------------------------------------

    @property
    def _intervals(self) -> tuple[tuple[timedelta, timedelta], ...]:
        return tuple((_offset(o), _offset(c)) for o, c in self.office_hours)

    def _worked_until(self, d: date, tod: timedelta) -> timedelta:
        # Office time on day d from midnight until tod.
        if not self.is_working_day(d):
            return timedelta()
        return sum((max(timedelta(), min(c, tod) - o) for o, c in self._intervals), timedelta())

    def _next_working_day(self, d: date) -> date:
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        raise ValueError("no working day found in the calendar's range")

    def _rows(self, year: int) -> list[AnnouncedDay]:
        return [
            r for r in self.announced if r.date.year == year and (self.include_uncertain or not r.uncertain)
        ]

    def _year(self, year: int) -> dict[date, CalendarEntry]:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        rows = self._rows(year)
        entries: dict[date, CalendarEntry] = {}
        if not any(r.kind is DayKind.HOLIDAY for r in rows):
            entries = {e.date: e for e in self.statutory_entries(year)}
        for row in rows:
            entries[row.date] = CalendarEntry(row.date, DayKind(row.kind), row.name, announced=True)
        self._years[year] = entries
        return entries

    def statutory_entries(self, year: int) -> tuple[CalendarEntry, ...]:
        """The holidays and compensatory days of `year` computed from the Labour Code alone."""
        holidays: dict[date, str] = {date(year, 1, 1): "Tết Dương lịch"}
        first_day = lunar.tet(year)
        for d in self.tet_rule(first_day, self.statute_on(first_day).tet_days):
            holidays[d] = f"Tết Âm lịch ({_lunar_day_name(d)})"
        holidays[lunar.to_solar(year, 3, 10)] = "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
        holidays[date(year, 4, 30)] = "Ngày Chiến thắng (30/4)"
        holidays[date(year, 5, 1)] = "Ngày Quốc tế Lao động (1/5)"
        national_day = date(year, 9, 2)
        holidays[national_day] = "Quốc khánh (2/9)"
        if self.statute_on(national_day).national_day_days > 1:
            holidays.setdefault(self.national_day_rule(national_day), "Quốc khánh (ngày liền kề)")
        entries = [CalendarEntry(d, DayKind.HOLIDAY, name, announced=False) for d, name in holidays.items()]
        taken = set(holidays)
        # Labour Code 2012 Art. 115(3), 2019 Art. 111(3): a holiday on the weekly rest day is made up
        # on the next working day, in the order the holidays fall.
        for d in sorted(holidays):
            if d.weekday() < _SATURDAY:
                continue
            make_up = d + timedelta(days=1)
            while make_up.weekday() >= _SATURDAY or make_up in taken:
                make_up += timedelta(days=1)
            taken.add(make_up)
            name = f"Nghỉ bù: {holidays[d]} trùng {_WEEKDAY_VI[d.weekday()]} {d:%d/%m/%Y}"
            entries.append(CalendarEntry(make_up, DayKind.COMPENSATORY, name, announced=False))
        return tuple(sorted(entries, key=lambda e: e.date))


def _local(ts: datetime) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts.isoformat()}: pass a timezone-aware datetime")
    return ts.astimezone(VN_TZ)


def _time_of_day(local: datetime) -> timedelta:
    return local - datetime.combine(local.date(), time(), VN_TZ)


def _at(d: date, tod: timedelta) -> datetime:
    return datetime.combine(d, time(), VN_TZ) + tod
