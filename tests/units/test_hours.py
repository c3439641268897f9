from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.units.hours import OfficeHoursError, format_office_hours, parse_office_hours


def test_parse_typical_and_lenient_forms():
    assert parse_office_hours("07:00-11:30,13:30-17:00") == [["07:00", "11:30"], ["13:30", "17:00"]]
    assert parse_office_hours(" 7h00 – 11h30 ; 13:30-17:00 ") == [["07:00", "11:30"], ["13:30", "17:00"]]
    assert parse_office_hours("") == []


@pytest.mark.parametrize(
    "text",
    [
        "7-11",
        "07:00-25:00",
        "11:30-07:00",
        "07:00-12:00,11:00-17:00",
        "13:30-17:00,07:00-11:30",
        "07:61-08:00",
    ],
)
def test_bad_hours_are_refused(text):
    with pytest.raises(OfficeHoursError):
        parse_office_hours(text)


@given(st.lists(st.integers(min_value=0, max_value=24 * 60), min_size=0, max_size=8, unique=True))
def test_round_trip(minutes):
    points = sorted(minutes)
    spans = [
        [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]
        for a, b in zip(points[::2], points[1::2], strict=False)
    ]
    assert parse_office_hours(format_office_hours(spans)) == spans
