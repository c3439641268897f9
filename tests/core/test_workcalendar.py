import csv
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.workcalendar import (
    VN_TZ,
    AnnouncedDay,
    DayKind,
    HolidayStatute,
    WorkCalendar,
    parse_office_hours,
)

TABLE = Path(__file__).resolve().parents[2] / "src/thuocdo/calendars/data/holidays-vn.csv"


def _announced() -> tuple[AnnouncedDay, ...]:
    with TABLE.open(encoding="utf-8") as handle:
        return tuple(
            AnnouncedDay(
                date.fromisoformat(r["date"]),
                DayKind(r["kind"]),
                r["name_vi"],
                r["confidence"] == "uncertain",
            )
            for r in csv.DictReader(handle)
        )


ANNOUNCED = _announced()
CALENDAR = WorkCalendar(announced=ANNOUNCED)
RULES_ONLY = WorkCalendar()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


# -- days ---------------------------------------------------------------------------------------


def test_weekends_holidays_and_make_up_saturdays():
    assert CALENDAR.is_working_day(date(2026, 2, 13))  # Friday before Tết
    assert not CALENDAR.is_working_day(date(2026, 2, 14))  # Saturday
    assert not CALENDAR.is_working_day(date(2026, 2, 17))  # mùng 1 Tết
    assert not CALENDAR.is_working_day(date(2026, 1, 2))  # swapped day off
    assert CALENDAR.is_working_day(date(2026, 1, 10))  # Saturday worked in exchange
    assert not CALENDAR.is_working_day(date(2026, 4, 27))  # compensatory day for Giỗ Tổ on a Sunday
    assert CALENDAR.is_holiday(date(2026, 1, 2))
    assert not CALENDAR.is_holiday(date(2026, 2, 14))  # an ordinary weekend is not a holiday


def test_uncertain_rows_are_working_days_unless_asked():
    culture_day = date(2026, 11, 24)
    assert CALENDAR.is_working_day(culture_day)
    assert not WorkCalendar(announced=ANNOUNCED, include_uncertain=True).is_working_day(culture_day)


@pytest.mark.parametrize("year", range(2015, 2027))
def test_labour_code_rules_reproduce_the_notices_except_for_swaps(year):
    # The default choices of Tết days and of the day next to 2/9 match every notice 2015–2026; the only
    # differences are the swaps (a weekday off against a Saturday worked), which no rule can predict.
    start, end = date(year, 1, 1), date(year, 12, 31)
    announced_off = set(CALENDAR.non_working_days(start, end))
    computed_off = set(RULES_ONLY.non_working_days(start, end))
    swaps = {r.date for r in ANNOUNCED if r.kind in (DayKind.SWAP_OFF, DayKind.SWAP_WORKDAY)}
    assert announced_off ^ computed_off <= swaps


def test_computed_year_2027():
    names = {e.date: (e.kind, e.name) for e in RULES_ONLY.entries(2027)}
    assert names[date(2027, 2, 6)] == (DayKind.HOLIDAY, "Tết Âm lịch (mùng 1 tháng Giêng)")
    # Tết on a Saturday: 2 days before it, and mùng 1 and 2 made up on Tuesday and Wednesday.
    assert [d for d in names if date(2027, 2, 1) <= d <= date(2027, 2, 28)] == [
        date(2027, 2, 4),
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
        date(2027, 2, 9),
        date(2027, 2, 10),
    ]
    assert names[date(2027, 2, 9)][0] is DayKind.COMPENSATORY
    assert names[date(2027, 4, 16)] == (DayKind.HOLIDAY, "Giỗ Tổ Hùng Vương (10/3 âm lịch)")
    assert names[date(2027, 5, 3)][0] is DayKind.COMPENSATORY  # 1/5 is a Saturday
    assert names[date(2027, 9, 3)] == (DayKind.HOLIDAY, "Quốc khánh (ngày liền kề)")  # 2/9 is a Thursday
    assert not RULES_ONLY.is_announced_year(2027)
    assert CALENDAR.is_announced_year(2026)


def test_the_day_next_to_national_day_starts_in_2021():
    assert [e.date for e in RULES_ONLY.entries(2020) if e.date.month == 9] == [date(2020, 9, 2)]
    assert [e.date for e in RULES_ONLY.entries(2021) if e.date.month == 9] == [
        date(2021, 9, 2),
        date(2021, 9, 3),
    ]


def test_statutes_are_versioned_data():
    # A hypothetical law giving 7 Tết days from 2030 changes 2030 and leaves 2029 alone.
    longer = WorkCalendar(
        statutes=(
            *RULES_ONLY.statutes,
            HolidayStatute(date(2030, 1, 1), "test", tet_days=7, national_day_days=2),
        )
    )
    tet_2030 = [e for e in longer.entries(2030) if e.name.startswith("Tết Âm lịch")]
    assert len(tet_2030) == 7
    assert len([e for e in longer.entries(2029) if e.name.startswith("Tết Âm lịch")]) == 5


def test_the_pm_choice_of_tet_days_is_a_parameter():
    def after_only(first_day: date, count: int) -> list[date]:
        return [first_day + timedelta(days=i) for i in range(count)]

    calendar = WorkCalendar(tet_rule=after_only, national_day_rule=lambda d: d + timedelta(days=1))
    assert calendar.is_working_day(date(2027, 2, 5))  # no longer a Tết day
    assert not calendar.is_working_day(date(2027, 2, 11))  # makes up for mùng 1 on a Saturday
    assert not calendar.is_working_day(date(2026, 9, 3))


def test_an_announced_year_replaces_the_rules_and_a_lone_swap_does_not():
    announced = (
        AnnouncedDay(date(2027, 1, 1), DayKind.HOLIDAY, "Tết Dương lịch"),
        AnnouncedDay(date(2028, 4, 28), DayKind.SWAP_OFF, "Nghỉ hoán đổi"),
        AnnouncedDay(date(2028, 5, 6), DayKind.SWAP_WORKDAY, "Làm bù"),
    )
    calendar = WorkCalendar(announced=announced)
    assert calendar.is_announced_year(2027)
    assert calendar.is_working_day(date(2027, 2, 8))  # 2027 is taken from the table, which has no Tết
    assert not calendar.is_working_day(date(2028, 1, 26))  # 2028 Tết still comes from the rules
    assert not calendar.is_working_day(date(2028, 4, 28))
    assert calendar.is_working_day(date(2028, 5, 6))


def test_shift_and_count_working_days():
    assert CALENDAR.shift_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CALENDAR.shift_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert CALENDAR.shift_working_days(date(2026, 2, 14), 0) == date(2026, 2, 23)
    assert CALENDAR.count_working_days(date(2026, 2, 13), date(2026, 2, 25)) == 3
    assert CALENDAR.count_working_days(date(2026, 2, 25), date(2026, 2, 13)) == -3


# -- moments ------------------------------------------------------------------------------------


def test_worked_example_friday_before_tet_2026():
    # 1 h on Friday 13/2, Tết 14–22/2, 8 h Monday 23/2, 8 h Tuesday 24/2, 7 h Wednesday 25/2.
    assert CALENDAR.add_working_days(vn(2026, 2, 13, 16, 0), 3) == vn(2026, 2, 25, 16, 0)


def test_reception_after_closing_during_lunch_and_on_a_day_off():
    assert CALENDAR.next_working_moment(vn(2026, 3, 2, 17, 0)) == vn(2026, 3, 3, 7, 0)
    assert CALENDAR.next_working_moment(vn(2026, 3, 2, 12, 15)) == vn(2026, 3, 2, 13, 30)
    assert CALENDAR.next_working_moment(vn(2026, 3, 2, 11, 30)) == vn(2026, 3, 2, 13, 30)
    assert CALENDAR.next_working_moment(vn(2026, 3, 2, 6, 0)) == vn(2026, 3, 2, 7, 0)
    assert CALENDAR.next_working_moment(vn(2026, 2, 17, 9, 0)) == vn(2026, 2, 23, 7, 0)
    assert CALENDAR.add_working_days(vn(2026, 3, 2, 18, 0), 1) == vn(2026, 3, 3, 17, 0)
    # Lunch reception starts at 13:30: 3.5 h on Monday afternoon + 4.5 h on Tuesday morning, due at its close.
    assert CALENDAR.add_working_days(vn(2026, 3, 2, 12, 0), 1) == vn(2026, 3, 3, 11, 30)
    assert CALENDAR.add_working_hours(vn(2026, 3, 2, 7, 0), 8) == vn(2026, 3, 2, 17, 0)
    assert CALENDAR.add_working_hours(vn(2026, 3, 2, 7, 0), 4.5) == vn(2026, 3, 2, 11, 30)
    assert CALENDAR.add_working_days(vn(2026, 3, 2, 12, 0), 0) == vn(2026, 3, 2, 13, 30)


def test_make_up_saturday_counts():
    # Friday 9/1/2026 16:00 + 1 day: 1 h Friday, 7 h on the make-up Saturday 10/1.
    assert CALENDAR.add_working_days(vn(2026, 1, 9, 16, 0), 1) == vn(2026, 1, 10, 16, 0)


def test_any_time_zone_in_vietnam_time_out():
    received = datetime(2026, 2, 13, 9, 0, tzinfo=UTC)  # 16:00 in Hà Nội
    deadline = CALENDAR.add_working_days(received, 3)
    assert deadline == vn(2026, 2, 25, 16, 0)
    assert deadline.utcoffset() == timedelta(hours=7)
    with pytest.raises(ValueError, match="naive"):
        CALENDAR.add_working_days(datetime(2026, 2, 13, 16, 0), 3)


def test_working_time_between():
    assert CALENDAR.working_time_between(vn(2026, 2, 13, 16, 0), vn(2026, 2, 23, 8, 0)) == timedelta(hours=2)
    assert CALENDAR.working_time_between(vn(2026, 3, 2, 11, 0), vn(2026, 3, 2, 14, 0)) == timedelta(hours=1)
    assert CALENDAR.working_time_between(vn(2026, 3, 3, 7, 0), vn(2026, 3, 2, 7, 0)) == -timedelta(hours=8)


def test_office_hours_are_configurable():
    half_day = WorkCalendar(announced=ANNOUNCED, office_hours=parse_office_hours([["08:00", "12:00"]]))
    assert half_day.day_length == timedelta(hours=4)
    assert half_day.add_working_days(vn(2026, 3, 2, 10, 0), 1) == vn(2026, 3, 3, 10, 0)
    assert half_day.next_working_moment(vn(2026, 3, 2, 12, 0)) == vn(2026, 3, 3, 8, 0)
    three = parse_office_hours([["07:00", "09:00"], ["10:00", "12:00"], ["13:00", "17:00"]])
    assert WorkCalendar(office_hours=three).day_length == timedelta(hours=8)
    assert (
        parse_office_hours([])
        == parse_office_hours(None)
        == ((time(7), time(11, 30)), (time(13, 30), time(17)))
    )


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([["11:00", "10:00"]], "closes before it opens"),
        ([["07:00", "12:00"], ["11:00", "17:00"]], "must not overlap"),
        ([["7h", "11:30"]], "HH:MM"),
        ([["07:00"]], r"\[open, close\]"),
    ],
)
def test_bad_office_hours_are_refused(hours, message):
    with pytest.raises(ValueError, match=message):
        parse_office_hours(hours)


def test_an_announced_date_listed_twice_is_refused():
    day = AnnouncedDay(date(2027, 1, 1), DayKind.HOLIDAY, "Tết Dương lịch")
    with pytest.raises(ValueError, match="2027-01-01 is listed twice"):
        WorkCalendar(announced=(day, day))


def test_calendar_days():
    # 10 calendar days from Friday 13/2/2026 16:00: weekends and Tết count → Monday 23/2 16:00.
    assert CALENDAR.add_calendar_days(vn(2026, 2, 13, 16, 0), 10) == vn(2026, 2, 23, 16, 0)
    # Not counting the five Tết days: 10 counted days end on Saturday 28/2, moved to Monday 2/3.
    assert CALENDAR.add_calendar_days(vn(2026, 2, 13, 16, 0), 10, skip_holidays=True) == vn(2026, 3, 2, 16, 0)
    # Received after closing: counting starts from the next working morning.
    assert CALENDAR.add_calendar_days(vn(2026, 3, 2, 18, 0), 1) == vn(2026, 3, 4, 7, 0)


# -- properties ---------------------------------------------------------------------------------

ZONES = st.sampled_from([VN_TZ, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))])
MOMENTS = st.datetimes(min_value=datetime(2014, 1, 1), max_value=datetime(2027, 12, 31), timezones=ZONES)
AMOUNTS = st.timedeltas(min_value=timedelta(), max_value=timedelta(hours=300))
CALENDARS = st.sampled_from(
    [
        CALENDAR,
        WorkCalendar(announced=ANNOUNCED, office_hours=parse_office_hours([["08:00", "12:00"]])),
        WorkCalendar(
            announced=ANNOUNCED,
            office_hours=parse_office_hours([["07:00", "09:00"], ["10:00", "12:00"], ["13:00", "17:00"]]),
        ),
    ]
)


def _within_office_hours(calendar: WorkCalendar, moment: datetime, *, closing_allowed: bool) -> bool:
    local = moment.astimezone(VN_TZ)
    if not calendar.is_working_day(local.date()):
        return False
    t = local.timetz().replace(tzinfo=None)
    if closing_allowed:
        return any(o < t <= c for o, c in calendar.office_hours)
    return any(o <= t < c for o, c in calendar.office_hours)


@given(CALENDARS, MOMENTS, AMOUNTS)
def test_working_time_until_the_result_is_what_was_added(calendar, start, amount):
    assert calendar.working_time_between(start, calendar.add_working_hours(start, amount)) == amount


@given(CALENDARS, MOMENTS, AMOUNTS)
def test_the_result_is_the_earliest_such_moment_and_lies_in_office_hours(calendar, start, amount):
    result = calendar.add_working_hours(start, amount)
    assert result.utcoffset() == timedelta(hours=7)
    if amount:
        assert _within_office_hours(calendar, result, closing_allowed=True)
        assert calendar.working_time_between(start, result - timedelta(microseconds=1)) < amount
    else:
        assert _within_office_hours(calendar, result, closing_allowed=False)


@given(CALENDARS, MOMENTS, MOMENTS, AMOUNTS, AMOUNTS)
def test_adding_is_monotone(calendar, a, b, h1, h2):
    a, b = sorted([a, b])
    h1, h2 = sorted([h1, h2])
    assert calendar.add_working_hours(a, h1) <= calendar.add_working_hours(b, h1)
    assert calendar.add_working_hours(a, h1) <= calendar.add_working_hours(a, h2)


@given(CALENDARS, MOMENTS, MOMENTS, MOMENTS)
def test_working_time_is_additive(calendar, a, b, c):
    assert calendar.working_time_between(a, b) + calendar.working_time_between(b, c) == (
        calendar.working_time_between(a, c)
    )
    assert calendar.working_time_between(a, b) == -calendar.working_time_between(b, a)


@given(CALENDARS, MOMENTS)
def test_zero_days_normalises_to_the_next_working_moment(calendar, start):
    moment = calendar.add_working_days(start, 0)
    assert moment == calendar.next_working_moment(start) >= start
    assert calendar.is_working_moment(moment)
    assert calendar.next_working_moment(moment) == moment
    assert calendar.working_time_between(start, moment) == timedelta()


@given(CALENDARS, MOMENTS, st.integers(min_value=0, max_value=40), st.booleans())
def test_calendar_days_land_on_a_working_day(calendar, start, n, skip):
    result = calendar.add_calendar_days(start, n, skip_holidays=skip)
    assert calendar.is_working_moment(result)
    assert (result.date() - calendar.next_working_moment(start).date()).days >= n
