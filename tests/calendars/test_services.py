import io
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from thuocdo.audit.models import AuditEntry
from thuocdo.calendars import selectors, services
from thuocdo.calendars.models import CalendarDay
from thuocdo.core.workcalendar import VN_TZ
from thuocdo.shared.tabular import ImportFailed, write_table

pytestmark = pytest.mark.django_db

HEADER = "date,kind,name_vi,name_en,source,confidence\n"


def _csv(text: str, name: str = "lich.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return data


def _shipped_rows() -> int:
    return sum(
        1 for line in services.SHIPPED_TABLE.read_text(encoding="utf-8").splitlines()[1:] if line.strip()
    )


def test_loading_the_shipped_table_is_idempotent_and_audited():
    first = services.load_calendar_days(actor="test")
    assert len(first.created) == _shipped_rows() == CalendarDay.objects.count()
    assert CalendarDay.objects.get(date=date(2026, 11, 24)).confidence == CalendarDay.Confidence.UNCERTAIN
    entry = AuditEntry.objects.get(action="calendar.load")
    assert entry.actor == "test"
    assert "holidays-vn.csv" in entry.summary

    second = services.load_calendar_days(actor="test")
    assert (second.created, second.updated, second.unchanged) == ([], [], _shipped_rows())
    assert AuditEntry.objects.filter(action="calendar.load").count() == 1


def test_a_changed_row_is_updated_and_its_old_value_kept_in_the_audit_log():
    services.load_calendar_days(source=_csv(HEADER + "2027-02-05,holiday,Tết,,,computed\n"))
    result = services.load_calendar_days(
        source=_csv(HEADER + "2027-02-05,holiday,Tết Âm lịch (29 tháng Chạp),,TB 1/TB-BNV,sourced\n")
    )
    assert result.updated == [date(2027, 2, 5)]
    day = CalendarDay.objects.get(date=date(2027, 2, 5))
    assert (day.name_vi, day.confidence) == ("Tết Âm lịch (29 tháng Chạp)", "sourced")
    change = AuditEntry.objects.filter(action="calendar.load").last().data["updated"][0]
    assert change["before"]["confidence"] == "computed"
    assert change["after"]["confidence"] == "sourced"


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written():
    text = HEADER + (
        "2027-01-01,holiday,Tết Dương lịch,,,\n"
        "2027-13-01,holiday,Sai ngày,,,\n"
        "2027-02-05,nghỉ,Sai loại,,,\n"
        "2027-02-06,holiday,,,,\n"
        "2027-01-01,holiday,Trùng ngày,,,\n"
        "2027-02-08,swap_workday,Làm bù ngày thường,,,\n"
        "2027-02-09,holiday,Sai độ tin cậy,,,chắc\n"
    )
    with pytest.raises(ImportFailed) as failed:
        services.load_calendar_days(source=_csv(text))
    messages = [str(e) for e in failed.value.errors]
    assert messages[0].startswith("lich.csv, dòng 3, cột «date»: ngày «2027-13-01» không hợp lệ")
    assert messages[1].startswith("lich.csv, dòng 4, cột «kind»: loại «nghỉ» không hợp lệ")
    assert messages[2] == "lich.csv, dòng 5, cột «name_vi»: thiếu tên ngày"
    assert messages[3] == "lich.csv, dòng 6, cột «date»: ngày 2027-01-01 đã có ở dòng 2"
    assert messages[4].startswith("lich.csv, dòng 7, cột «kind»: ngày làm bù 2027-02-08 không phải Thứ Bảy")
    assert messages[5].startswith("lich.csv, dòng 8, cột «confidence»")
    assert len(messages) == 6
    assert not CalendarDay.objects.exists()
    assert not AuditEntry.objects.exists()


def test_missing_columns_are_named():
    with pytest.raises(ImportFailed, match="cột «kind»: thiếu cột bắt buộc"):
        services.load_calendar_days(source=_csv("date,name_vi\n2027-01-01,Tết\n"))


def test_vietnamese_headers_day_first_dates_and_xlsx_are_accepted():
    xlsx = io.BytesIO(
        write_table(["Ngày", "Loại", "Tên"], [["01/01/2027", "holiday", "Tết Dương lịch"]], "xlsx")
    )
    xlsx.name = "lich.xlsx"
    result = services.load_calendar_days(source=xlsx)
    assert result.created == [date(2027, 1, 1)]
    assert CalendarDay.objects.get().confidence == CalendarDay.Confidence.SOURCED


def test_add_edit_delete_are_audited_and_seen_by_the_calendar_at_once():
    received = datetime(2027, 3, 5, 16, 0, tzinfo=VN_TZ)  # a Friday
    assert selectors.work_calendar().add_working_days(received, 1) == received + timedelta(days=3)

    day = services.add_calendar_day(
        actor="test", date=date(2027, 3, 8), kind="extra_off", name_vi="Nghỉ thêm", source="TB thử"
    )
    assert selectors.work_calendar().add_working_days(received, 1) == received + timedelta(days=4)

    services.update_calendar_day(actor="test", day=day, date=date(2027, 3, 9))
    calendar = selectors.work_calendar()
    assert calendar.is_working_day(date(2027, 3, 8))
    assert not calendar.is_working_day(date(2027, 3, 9))

    services.delete_calendar_day(actor="test", day=day)
    assert selectors.work_calendar().is_working_day(date(2027, 3, 9))

    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["calendar.day.add", "calendar.day.edit", "calendar.day.delete"]
    edit = AuditEntry.objects.get(action="calendar.day.edit")
    assert edit.data == {"before": {"date": "2027-03-08"}, "after": {"date": "2027-03-09"}}


def test_invalid_days_are_refused():
    services.add_calendar_day(date=date(2027, 1, 1), kind="holiday", name_vi="Tết Dương lịch")
    with pytest.raises(ValidationError):
        services.add_calendar_day(date=date(2027, 1, 1), kind="holiday", name_vi="Lần nữa")
    with pytest.raises(ValidationError, match="Thứ Bảy"):
        services.add_calendar_day(date=date(2027, 1, 4), kind="swap_workday", name_vi="Làm bù")
    with pytest.raises(ValidationError):
        services.add_calendar_day(date=date(2027, 1, 5), kind="party", name_vi="Sai loại")
    assert AuditEntry.objects.count() == 1


def test_a_computed_year_can_be_written_then_corrected():
    added = services.add_computed_year(actor="test", year=2027)
    assert {d.confidence for d in added} == {"computed"}
    assert date(2027, 2, 6) in {d.date for d in added}
    assert services.add_computed_year(actor="test", year=2027) == []
    assert AuditEntry.objects.filter(action="calendar.year.compute").count() == 1
    assert selectors.work_calendar().is_announced_year(2027)
