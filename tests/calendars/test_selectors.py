from datetime import date, datetime
from types import SimpleNamespace

import pytest

from thuocdo.calendars import selectors, services
from thuocdo.core.workcalendar import VN_TZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def table():
    services.load_calendar_days()


def test_the_calendar_uses_the_table(table):
    calendar = selectors.work_calendar()
    assert calendar.add_working_days(datetime(2026, 2, 13, 16, 0, tzinfo=VN_TZ), 3) == datetime(
        2026, 2, 25, 16, 0, tzinfo=VN_TZ
    )
    assert calendar.is_working_day(date(2026, 1, 10))
    assert selectors.work_calendar() is calendar  # cached while the table is unchanged


def test_uncertain_days_follow_the_setting(table, settings):
    assert selectors.work_calendar().is_working_day(date(2026, 11, 24))
    settings.THUOCDO = {**settings.THUOCDO, "UNCERTAIN_HOLIDAYS_ARE_OFF": True}
    assert not selectors.work_calendar().is_working_day(date(2026, 11, 24))


def test_agency_office_hours(table):
    agency = SimpleNamespace(code="SO-TP", office_hours=[["07:30", "11:30"], ["13:00", "17:00"]])
    calendar = selectors.work_calendar(agency)
    assert calendar.next_working_moment(datetime(2026, 3, 2, 7, 0, tzinfo=VN_TZ)).hour == 7
    assert calendar.next_working_moment(datetime(2026, 3, 2, 12, 0, tzinfo=VN_TZ)).hour == 13
    assert selectors.work_calendar(SimpleNamespace(code="X", office_hours=[])).office_hours == (
        selectors.work_calendar().office_hours
    )


def test_bad_agency_office_hours_name_the_agency(table):
    with pytest.raises(ValueError, match="SO-TP"):
        selectors.work_calendar(SimpleNamespace(code="SO-TP", office_hours=[["17:00", "07:00"]]))
