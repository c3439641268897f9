from __future__ import annotations

import time

import pytest
from django.db.models import Count

from thuocdo.audit.models import AuditEntry
from thuocdo.units import demo, selectors, services
from thuocdo.units.models import AdminUnit, Agency, UnitLineage
from thuocdo.web.demo import DemoContext


@pytest.mark.django_db
def test_full_load_matches_official_counts_is_idempotent_and_feeds_the_demo():
    # The only full load in the suite (seconds, not minutes): counts, idempotent reload, then the demo step.
    started = time.perf_counter()
    report = services.load_units()
    first_seconds = time.perf_counter() - started

    assert selectors.count_units("2025") == {"province": 34, "commune": 3321}
    assert selectors.count_units("legacy") == {"province": 63, "district": 696, "commune": 10035}
    communes = AdminUnit.objects.filter(structure="2025", level="commune")
    kinds = dict(communes.values_list("division_type").annotate(n=Count("id")))
    assert kinds == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}
    assert report.created == 14149
    assert first_seconds < 60

    # The demo step reloads the catalogue (a no-op now), then builds Tỉnh Đắk Lắk's agencies.
    edges = UnitLineage.objects.count()
    said: list[str] = []
    demo.build(DemoContext(say=said.append))
    assert said[0].strip() == "đơn vị hành chính: 0 mới, 14149 đã có; 0 quan hệ kế thừa mới"
    assert UnitLineage.objects.count() == edges
    assert AuditEntry.objects.filter(action="units.load").count() == 1  # a no-op reload records nothing
    _check_demo_agencies()
    # Every legacy commune and province has somewhere to go; every new commune came from somewhere.
    assert not AdminUnit.objects.filter(
        structure="legacy", level__in=["province", "commune"], successor_links=None
    ).exists()
    assert not AdminUnit.objects.filter(structure="2025", level="commune", predecessor_links=None).exists()
    assert not AdminUnit.objects.filter(path="").exists()


@pytest.mark.django_db
def test_province_subset_has_units_paths_and_lineage(dak_lak):
    province = AdminUnit.objects.get(structure="2025", level="province", code="66")
    assert province.name == "Tỉnh Đắk Lắk"
    assert province.short_name == "Đắk Lắk"
    assert province.division_type == "Tỉnh"
    assert province.search_name == "tinh dak lak"
    assert province.valid_from.isoformat() == "2025-07-01" and province.valid_to is None
    assert province.path == f"/{province.pk}/"
    communes = AdminUnit.objects.filter(parent=province)
    assert communes.count() == 102
    commune = communes.get(code="24133")
    assert commune.name == "Phường Buôn Ma Thuột"
    assert commune.path == f"/{province.pk}/{commune.pk}/"
    assert commune.latitude and commune.longitude and commune.area_km2
    assert set(
        AdminUnit.objects.filter(structure="legacy", level="province").values_list("code", flat=True)
    ) == {"54", "66"}
    legacy = AdminUnit.objects.get(structure="legacy", level="commune", code="24133")
    district = legacy.parent
    assert legacy.path == f"{district.path}{legacy.pk}/"
    assert legacy.valid_to.isoformat() == "2025-07-01"
    assert selectors.subtree(province).count() == 103


@pytest.mark.django_db
def test_reload_repairs_a_tampered_unit(dak_lak):
    unit = AdminUnit.objects.get(structure="2025", code="24133")
    AdminUnit.objects.filter(pk=unit.pk).update(name="Sai tên", path="/x/", search_name="sai ten")
    report = services.load_units(provinces=["66"])
    unit.refresh_from_db()
    assert report.updated == 1 and report.created == 0
    assert unit.name == "Phường Buôn Ma Thuột"
    assert unit.search_name == "phuong buon ma thuot"
    assert unit.path == f"/{unit.parent_id}/{unit.pk}/"


def _check_demo_agencies() -> None:
    """Tỉnh Đắk Lắk's agencies as the demo builds them; building again duplicates nothing."""
    committee = Agency.objects.get(code="H15")
    assert committee.name == "Ủy ban nhân dân tỉnh Đắk Lắk"
    communes = Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE)
    assert communes.count() == 102
    assert communes.filter(admin_unit__parent__code="66", block__code="xa-phuong").count() == 102
    assert set(Agency.objects.filter(block__code="so-nganh").values_list("name", flat=True)) >= {
        "Sở Nội vụ",
        "Sở Nông nghiệp và Môi trường",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Sở Dân tộc và Tôn giáo",
        "Thanh tra tỉnh",
    }
    assert Agency.objects.filter(kind=Agency.Kind.VERTICAL, name="Công an tỉnh").exists()
    assert Agency.objects.filter(kind=Agency.Kind.SERVICE_CENTRE, block__code="trung-tam-phvhc").count() == 1
    assert Agency.objects.filter(kind=Agency.Kind.PUBLIC_SERVICE_UNIT, parent__name="Sở Y tế").exists()
    assert not Agency.objects.filter(email="").exists() and not Agency.objects.filter(phone="").exists()
    total = Agency.objects.count()
    assert all(
        a.path.startswith(a.parent.path) for a in Agency.objects.exclude(parent=None).select_related("parent")
    )
    said: list[str] = []
    demo.build_agencies(DemoContext(say=said.append))
    assert Agency.objects.count() == total
    assert "102 UBND cấp xã" in said[-1]
