import pytest
from django.urls import reverse

from thuocdo.audit.models import AuditEntry
from thuocdo.calendars import services
from thuocdo.calendars.models import CalendarDay

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "mat-khau-rat-dai-2026")
    client.force_login(user)
    return client


LIST = reverse("admin:calendars_calendarday_changelist")


def test_the_list_filters_by_year_kind_and_confidence_and_searches(staff):
    services.load_calendar_days()
    page = staff.get(LIST, {"year": "2026", "kind": "swap_workday"})
    assert page.status_code == 200
    assert "Thứ Bảy" in page.content.decode()
    days = page.context["cl"].result_list
    assert [d.date.isoformat() for d in days] == ["2026-08-22", "2026-01-10"]
    uncertain = staff.get(LIST, {"confidence": "uncertain"}).context["cl"].result_list
    assert [d.date.isoformat() for d in uncertain] == ["2026-11-24"]
    found = staff.get(LIST, {"q": "Văn hóa"}).context["cl"].result_list
    assert len(found) == 1


def test_adding_editing_and_deleting_in_the_admin_is_audited(staff):
    form = {
        "date": "2027-03-08",
        "kind": "extra_off",
        "name_vi": "Nghỉ thêm",
        "name_en": "",
        "source": "",
        "confidence": "sourced",
    }
    assert staff.post(reverse("admin:calendars_calendarday_add"), form).status_code == 302
    day = CalendarDay.objects.get(date="2027-03-08")
    assert (
        staff.post(
            reverse("admin:calendars_calendarday_change", args=[day.pk]),
            {**form, "name_vi": "Nghỉ thêm (sửa)"},
        ).status_code
        == 302
    )
    assert (
        staff.post(reverse("admin:calendars_calendarday_delete", args=[day.pk]), {"post": "yes"}).status_code
        == 302
    )
    assert not CalendarDay.objects.exists()
    assert list(AuditEntry.objects.values_list("action", "actor")) == [
        ("calendar.day.add", "admin"),
        ("calendar.day.edit", "admin"),
        ("calendar.day.delete", "admin"),
    ]
