import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from thuocdo.calendars.models import CalendarDay
from thuocdo.units.models import Agency
from thuocdo.web.demo import DemoContext

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


def test_load_show_and_deadline():
    assert "ngày thêm mới" in run("load")
    shown = run("show", "2026")
    assert "Năm 2026 (theo lịch nghỉ đã công bố)" in shown
    assert "17/02/2026 Thứ Ba" in shown and "Tết Âm lịch (mùng 1 tháng Giêng)" in shown
    assert "10/01/2026 Thứ Bảy   Làm bù" in shown
    assert "24/11/2026 chưa chắc chắn, đang tính là ngày làm việc" in shown
    assert (
        run("add-working-days", "2026-02-13T16:00", "3").strip()
        == "2026-02-25T16:00+07:00 (Thứ Tư 25/02/2026 16:00)"
    )
    # A moment given in another zone is converted: 09:00 UTC is 16:00 in Hà Nội.
    assert run("add-working-days", "2026-02-13T09:00+00:00", "3").startswith("2026-02-25T16:00+07:00")


def test_show_a_year_computed_from_the_rules():
    shown = run("show", "2030")
    assert "Năm 2030 (tính theo Bộ luật Lao động)" in shown
    assert "02/02/2030 Thứ Bảy" in shown  # Tết 2030 at UTC+7 (3/2 in China)


def test_deadline_with_an_agency_office_hours():
    Agency.objects.create(
        code="UBND-XA",
        name="UBND xã thử",
        kind="commune_committee",
        office_hours=[["07:30", "11:30"], ["13:30", "17:30"]],
    )
    assert run("add-working-days", "2026-03-02T07:30", "1", "--agency", "UBND-XA").startswith(
        "2026-03-02T17:30+07:00"
    )
    with pytest.raises(CommandError, match="không có cơ quan mã KHONG-CO"):
        run("add-working-days", "2026-03-02T07:30", "1", "--agency", "KHONG-CO")
    with pytest.raises(CommandError, match="không hợp lệ"):
        run("add-working-days", "hôm qua", "1")


def test_a_bad_file_fails_with_the_row_and_nothing_is_loaded(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name_vi\n2027-01-01,holiday,Tết\n2027-02-30,holiday,Sai\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad\.csv, dòng 3, cột «date»"):
        run("load", "--file", str(bad))
    assert not CalendarDay.objects.exists()


def test_compute_year():
    assert "Đã thêm 14 ngày" in run("compute-year", "2027")
    assert CalendarDay.objects.filter(date__year=2027, confidence="computed").count() == 14


def test_demo_loads_the_shipped_table():
    from thuocdo.calendars import demo

    said: list[str] = []
    demo.build(DemoContext(say=said.append))
    assert CalendarDay.objects.filter(date__year=2026).exists()
    assert "lịch ngày nghỉ" in said[0]
