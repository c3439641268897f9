from datetime import date

from thuocdo.calendars.selectors import shipped_calendar


def test_the_shipped_table_knows_the_2026_new_year_swap_without_a_database():
    calendar = shipped_calendar()
    assert not calendar.is_working_day(date(2026, 1, 2))  # Friday off, swapped...
    assert calendar.is_working_day(date(2026, 1, 10))  # ...for Saturday 10 January
    assert not calendar.is_working_day(date(2026, 2, 16))  # Tết
    assert calendar.is_working_day(date(2026, 11, 24))  # uncertain Culture Day stays a working day by default
    assert not shipped_calendar(include_uncertain=True).is_working_day(date(2026, 11, 24))
