import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core import lunar

TABLE = Path(__file__).resolve().parents[2] / "src/thuocdo/calendars/data/holidays-vn.csv"


def _table_dates(marker: str) -> dict[int, date]:
    with TABLE.open(encoding="utf-8") as handle:
        return {
            date.fromisoformat(r["date"]).year: date.fromisoformat(r["date"])
            for r in csv.DictReader(handle)
            if marker in r["name_vi"] and not r["name_vi"].startswith("Nghỉ bù")
        }


def test_tet_matches_the_announced_table_2014_2026():
    tet_days = _table_dates("(mùng 1 tháng Giêng)")
    assert sorted(tet_days) == list(range(2014, 2027))
    for year, expected in tet_days.items():
        assert lunar.tet(year) == expected
        assert lunar.to_lunar(expected) == lunar.LunarDate(year, 1, 1)


def test_hung_kings_day_matches_the_announced_table_2014_2026():
    hung_kings = _table_dates("Giỗ Tổ Hùng Vương")
    assert sorted(hung_kings) == list(range(2014, 2027))
    for year, expected in hung_kings.items():
        assert lunar.to_solar(year, 3, 10) == expected


# Computed with PyPI vnlunar 1.0.5 (Hồ Ngọc Đức's algorithm at UTC+7, a separate implementation),
# which agrees with this module on every day 2014–2035. PyPI lunardate 0.3.0 (Chinese tables, UTC+8)
# agrees on every Tết except 2030: the new moon of 2 February 2030 falls at about 23:07 in Hà Nội but
# after midnight in Beijing, so Chinese New Year is 3 February and Tết is 2 February.
TET_2027_2035 = {
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 2),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


@pytest.mark.parametrize(("year", "expected"), sorted(TET_2027_2035.items()))
def test_tet_2027_2035(year, expected):
    assert lunar.tet(year) == expected


def test_vietnamese_and_chinese_dates_differ_when_the_new_moon_is_near_midnight():
    # New moon at about 23:02 (UTC+7) on 7 November 2018: month 10 starts a day earlier than in China.
    assert lunar.to_lunar(date(2018, 11, 7)) == lunar.LunarDate(2018, 10, 1)


def test_leap_months():
    # Same source as above; 2033 has its leap month after month 11 at UTC+7 (the "2033 problem").
    leaps = {y: lunar.leap_month(y) for y in range(2014, 2036)}
    assert {y: m for y, m in leaps.items() if m} == {
        2014: 9,
        2017: 6,
        2020: 4,
        2023: 2,
        2025: 6,
        2028: 5,
        2031: 3,
        2033: 11,
    }
    assert lunar.to_lunar(date(2025, 7, 25)) == lunar.LunarDate(2025, 6, 1, leap=True)
    assert lunar.to_solar(2025, 6, 1, leap=True) == date(2025, 7, 25)
    assert lunar.to_solar(2025, 6, 1) == date(2025, 6, 25)


def test_every_day_2014_2035_round_trips_and_lunar_days_run_in_sequence():
    d = date(2014, 1, 1)
    previous = lunar.to_lunar(d - timedelta(days=1))
    while d <= date(2035, 12, 31):
        current = lunar.to_lunar(d)
        assert lunar.to_solar(current.year, current.month, current.day, current.leap) == d
        if current.day == 1:
            assert previous.day in (29, 30)
            assert previous.day == lunar.month_length(previous.year, previous.month, previous.leap)
        else:
            assert (current.year, current.month, current.leap, current.day) == (
                previous.year,
                previous.month,
                previous.leap,
                previous.day + 1,
            )
        previous = current
        d += timedelta(days=1)


def test_new_years_eve_is_the_last_day_of_month_12():
    # Month 12 had 29 days before Tết 2026, so 29 tháng Chạp was the eve (see the holiday table).
    assert lunar.lunar_new_years_eve(2026) == date(2026, 2, 16)
    assert lunar.to_lunar(date(2026, 2, 16)) == lunar.LunarDate(2025, 12, 29)
    assert lunar.month_length(2025, 12) == 29


def test_impossible_lunar_dates_are_refused():
    with pytest.raises(ValueError, match="no leap month"):
        lunar.to_solar(2026, 3, 1, leap=True)
    with pytest.raises(ValueError, match="no leap month 5"):
        lunar.to_solar(2025, 5, 1, leap=True)
    with pytest.raises(ValueError, match="has 29 days, not 30"):
        lunar.to_solar(2025, 12, 30)
    with pytest.raises(ValueError, match="1–12"):
        lunar.to_solar(2025, 13, 1)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_conversion_round_trips_for_any_day(d):
    ld = lunar.to_lunar(d)
    assert 1 <= ld.day <= 30
    assert 1 <= ld.month <= 12
    assert lunar.to_solar(ld.year, ld.month, ld.day, ld.leap) == d
