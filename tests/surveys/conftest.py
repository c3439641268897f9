"""Fixtures: a small province with two agencies, shipped instruments loaded, an open SIPAS campaign."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from thuocdo.accounts.models import RoleAssignment, User
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign
from thuocdo.units.models import AdminUnit, Agency

ICT = timezone.get_fixed_timezone(7 * 60)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ICT)
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def world(request):
    request.getfixturevalue("transactional_db" if request.node.get_closest_marker("browser") else "db")
    province = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    province.path = f"/{province.pk}/"
    province.save()
    agencies = {}
    for code, name in [("S.TP", "Sở Tư pháp"), ("X.BMT", "UBND phường Buôn Ma Thuột")]:
        agency = Agency.objects.create(code=code, name=name, kind="department", admin_unit=province)
        agency.path = f"/{agency.pk}/"
        agency.save()
        agencies[code] = agency
    versions = {v.code: v for v in services.sync_builtin_instruments(actor="test")}
    return {"province": province, "agencies": agencies, "instruments": versions}


@pytest.fixture
def campaign(world) -> Campaign:
    c = services.create_campaign(
        slug="sipas-2026", name="Khảo sát SIPAS 2026", instrument=world["instruments"]["sipas-2017"],
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), agencies=list(world["agencies"].values()),
        actor="test", open_link=True,
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    return c


def make_user(
    username: str, role: str | None = None, *, agency=None, unit=None, superuser: bool = False
) -> User:
    user = User.objects.create_user(username=username, password="mật-khẩu-dài-1234", is_superuser=superuser)
    if role:
        RoleAssignment.objects.create(user=user, role=role, agency=agency, unit=unit)
    return user


def full_sheet(value: int = 4, *, feedback: bool = False) -> dict[str, str]:
    """Every SIPAS-2017 criterion answered with `value` (E only when F1 says feedback was given)."""
    from thuocdo.surveys.selectors import latest_instrument

    instrument = latest_instrument("sipas-2017").instrument
    sheet = {"F1": "1" if feedback else "2"}
    for c in instrument.criteria:
        if c.asked_if is None or feedback:
            sheet[c.code] = str(value)
    return sheet
