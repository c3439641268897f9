from datetime import date

import pytest

from thuocdo.catalog import demo
from thuocdo.catalog.models import Procedure
from thuocdo.catalog.selectors import online_level_counts
from thuocdo.units.models import Agency
from thuocdo.web.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_catalogue(province):
    demo.build(DemoContext(today=date(2026, 3, 1), say=lambda _: None))
    assert 140 <= Procedure.objects.count() <= 160
    counts = online_level_counts()
    online_share = (counts["full"] + counts["partial"]) / Procedure.objects.count()
    assert 0.5 <= online_share <= 0.7
    birth = Procedure.objects.get(name="Đăng ký khai sinh")
    assert birth.levels == ["commune"]
    assert sorted(birth.agencies.values_list("code", flat=True)) == ["H15.101", "H15.102"]
    record = Procedure.objects.get(name__startswith="Cấp Phiếu lý lịch tư pháp cho công dân")
    assert list(record.agencies.values_list("name", flat=True)) == ["Sở Tư pháp"]
    permit = Procedure.objects.get(name="Gia hạn giấy phép xây dựng")
    assert list(permit.agencies.values_list("name", flat=True)) == ["Sở Xây dựng"]
    assert Procedure.objects.filter(time_limit_unit="calendar_days").exists()
    assert Procedure.objects.filter(time_limit=0.5).exists()
    assert all(p.published_on and p.published_on < date(2026, 3, 1) for p in Procedure.objects.all())
    assert Agency.objects.get(code="H15.101").procedures.count() > 40


def test_demo_is_repeatable(province):
    ctx = {"today": date(2026, 3, 1), "say": lambda _: None}
    demo.build(DemoContext(**ctx))
    before = list(Procedure.objects.values_list("code", "name", "time_limit", "published_on"))
    demo.build(DemoContext(**ctx))
    assert list(Procedure.objects.values_list("code", "name", "time_limit", "published_on")) == before


def test_demo_without_units_still_builds_the_catalogue(db):
    demo.build(DemoContext(say=lambda _: None))
    assert Procedure.objects.count() == len(demo.PROCEDURES)
