"""Publishing months of the 766 index and what the public then sees: rankings, late lists, unit pages, open data."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from tests.publication.index766_helpers import NOW
from tests.publication.survey_helpers import official
from thuocdo.audit.models import AuditEntry
from thuocdo.indices import selectors as index_selectors
from thuocdo.publication import services
from thuocdo.publication.models import (
    Index766Month,
    LateOfficialEntry,
    LateUnitEntry,
    PublishedFigure,
    Snapshot,
)

pytestmark = pytest.mark.django_db


def publish(month: str) -> services.Index766Report:
    return services.publish_index766_month(month=month, actor="test", now=NOW)


def total(**subject) -> Decimal:  # type: ignore[no-untyped-def]
    return PublishedFigure.objects.get(measure="index766", period="M10", year=2025, **subject).value


def test_publishing_a_month_stores_what_the_officials_pages_compute(world766):
    report = publish("2025-10")
    assert report.subjects == {"province": 1, "agency": 2, "commune": 2}
    live = index_selectors.index_for("agency:H66.01", "2025-10", NOW).result
    assert total(agency=world766.departments[0]) == live.total
    figure = PublishedFigure.objects.get(measure="index766", period="M10", agency=world766.departments[0])
    assert figure.components["band"] == live.band.name_vi
    groups = PublishedFigure.objects.filter(
        measure__startswith="index766_group:", period="M10", agency=world766.departments[0]
    )
    assert {g.measure.partition(":")[2]: g.value for g in groups} == {
        g.id: g.points for g in live.groups.values()
    }
    assert PublishedFigure.objects.filter(
        measure="index766_indicator:2.1", period="M10", unit=world766.province
    ).exists()
    # The commune formed in 2025 carries the dossiers of the legacy commune (re-aggregated, not averaged).
    commune = index_selectors.index_for("commune:24133", "2025-10", NOW).result.total
    assert total(unit=world766.communes[0]) == commune
    assert LateUnitEntry.objects.filter(agency_code="H66.900").count() == 0
    assert LateUnitEntry.objects.filter(agency_code="H66.101").exists()
    entry = AuditEntry.objects.get(action="publication.publish_index766")
    assert "10/2025" in entry.summary and entry.data["replaced_month"] is False


def test_publishing_again_replaces_the_month_and_an_imported_figure(world766):
    PublishedFigure.objects.create(
        unit=world766.province,
        measure="index766",
        year=2025,
        period="M10",
        value=Decimal("12.5"),
        imported_at=NOW,
    )
    publish("2025-10")
    count = PublishedFigure.objects.filter(period="M10").count()
    late = LateOfficialEntry.objects.count()
    report = publish("2025-10")
    assert report.replaced_month
    assert Index766Month.objects.count() == 1
    assert PublishedFigure.objects.filter(period="M10").count() == count
    assert LateOfficialEntry.objects.count() == late
    assert total(unit=world766.province) != Decimal("12.5")
    entries = AuditEntry.objects.filter(action="publication.publish_index766").order_by("pk")
    assert [e.data["replaced_month"] for e in entries] == [False, True]
    assert entries[0].data["replaced_imported"][0]["value"] == "12.500"


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-01", "chưa kết thúc"), ("2025-13", "không hợp lệ"), ("2024-01", "không có hồ sơ")],
)
def test_a_month_that_cannot_be_published_leaves_nothing(world766, month, message):
    with pytest.raises(services.PublishError, match=message):
        publish(month)
    assert not Index766Month.objects.exists() and not PublishedFigure.objects.exists()


def test_only_staff_with_publish_rights_over_the_province_can_publish(client, world766, settings):
    settings.THUOCDO = {**settings.THUOCDO, "PROVINCE_CODE": "66"}
    url = "/xep-hang/cong-bo/"
    assert client.post(url, {"thang": "2025-10"}).status_code == 302  # to the login page
    assert not Index766Month.objects.exists()
    client.force_login(official("phantich", "analyst", unit=world766.province))
    assert client.post(url, {"thang": "2025-10"}).status_code == 404
    client.force_login(official("thutruong", "agency_head", agency=world766.departments[0]))
    assert client.post(url, {"thang": "2025-10"}).status_code == 404
    assert "Công bố chỉ số 766" not in client.get("/xep-hang/").content.decode()
    assert not Index766Month.objects.exists()
    client.force_login(official("tinh", "province_admin", unit=world766.province))
    assert "Công bố chỉ số 766" in client.get("/xep-hang/").content.decode()
    response = client.post(url, {"thang": "2025-10", "next": "//elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/xep-hang/?thang=2025-10"
    assert Index766Month.objects.get().published_by == "tinh"
    response = client.post(url, {"thang": "2025-11", "next": "/xep-hang/?thang=2025-11"})
    assert response["Location"] == "/xep-hang/?thang=2025-11"
    assert [m["month"] for m in client.get("/api/publication/index766/months").json()] == [
        "2025-11",
        "2025-10",
    ]


def _table_rows(html: str, caption: str) -> list[str]:
    table = html[html.index(caption) :]
    table = table[: table.index("</table>")]
    return re.findall(r'<th scope="row" class="fw-normal"><a href="[^"]+">([^<]+)</a>', table)


def test_rankings_page_orders_by_score_with_bands_and_rank_changes(client, world766):
    publish("2025-10")
    publish("2025-11")
    html = client.get("/xep-hang/?thang=2025-11").content.decode()
    november = {
        a.name: PublishedFigure.objects.get(measure="index766", period="M11", agency=a)
        for a in world766.departments
    }
    expected = sorted(november, key=lambda name: -november[name].value)
    assert _table_rows(html, "Khối sở, ban, ngành · tháng 11/2025") == expected
    for figure in november.values():
        assert figure.components["band"] in html
    october = {
        a.name: PublishedFigure.objects.get(measure="index766", period="M10", agency=a).value
        for a in world766.departments
    }
    moved = sorted(october, key=lambda name: -october[name]) != expected
    assert ("bậc tăng" in html) == moved
    assert "Thay đổi thứ hạng so với tháng 10/2025" in html
    communes = _table_rows(html, "2 xã, phường · tháng 11/2025")
    assert sorted(communes) == ["Phường Tân An", "Xã Hòa Phú"]
    # Only published months can be picked; another month is not found.
    assert re.findall(r'<option value="(\d{4}-\d{2})"', html) == ["2025-11", "2025-10"]
    assert client.get("/xep-hang/?thang=2025-09").status_code == 404


def test_rankings_page_before_anything_is_published(client, world766):
    response = client.get("/xep-hang/")
    assert response.status_code == 200 and "Chưa có tháng nào được công bố" in response.content.decode()


def test_late_list_page_names_units_and_officials_only(client, world766):
    publish("2025-10")
    html = client.get("/tre-han/?thang=2025-10").content.decode()
    top = LateUnitEntry.objects.order_by("-late").first()
    assert top.agency_name in html
    official_row = LateOfficialEntry.objects.order_by("-late_steps").first()
    assert official_row.officer in html
    # No dossier codes or citizens: the generated dossier codes never appear.
    from thuocdo.dossiers.models import Dossier

    assert not any(code in html for code in Dossier.objects.values_list("code", flat=True)[:50])
    assert "steps" not in {f.name for f in LateOfficialEntry._meta.get_fields()}


def test_unit_and_agency_pages_show_the_766_section_and_search_finds_them(client, world766):
    publish("2025-10")
    publish("2025-11")
    commune = world766.communes[1]
    html = client.get(f"/don-vi-cong-khai/{commune.code}/").content.decode()
    value = PublishedFigure.objects.get(measure="index766", period="M11", unit=commune).value
    assert "Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766)" in html
    assert f"{value:.2f}".replace(".", ",") in html
    assert "Tổng điểm theo tháng" in html and "10/2025" in html
    agency = world766.departments[1]
    html = client.get(f"/don-vi-cong-khai/{agency.code}/").content.decode()
    assert agency.name in html and "Khối sở, ban, ngành" in html
    found = client.get("/don-vi-cong-khai/?q=so noi vu").content.decode()
    assert f'href="/don-vi-cong-khai/{agency.code}/"' in found
    found = client.get("/don-vi-cong-khai/?q=tan an").content.decode()
    assert f'href="/don-vi-cong-khai/{commune.code}/"' in found


def test_open_data_api_and_snapshot_cover_the_published_months(client, world766):
    publish("2025-10")
    publish("2025-11")
    text = client.get("/du-lieu-mo/chi-so-766-hang-thang.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["month"] for r in rows} == {"2025-10", "2025-11"}
    assert len(rows) == 2 * 5  # the province, two agencies, two communes each month
    row = next(r for r in rows if r["month"] == "2025-11" and r["code"] == "H66.01")
    assert (
        Decimal(row["total"])
        == PublishedFigure.objects.get(measure="index766", period="M11", agency=world766.departments[0]).value
    )
    officials = json.loads(client.get("/du-lieu-mo/tre-han-can-bo.json").content)["rows"]
    assert len(officials) == LateOfficialEntry.objects.count()
    assert set(officials[0]) == {
        "month",
        "province_code",
        "agency_code",
        "agency_name",
        "officer",
        "department",
        "late_steps",
        "is_demo",
    }
    assert client.get("/du-lieu-mo/tre-han-co-quan.parquet").status_code == 200
    api = client.get("/api/publication/index766/rankings?month=2025-11").json()
    assert {r["group"] for r in api} == {"province", "block:so-nganh", "commune:66"}
    late = client.get("/api/publication/index766/late?month=2025-10").json()
    assert len(late["units"]) == LateUnitEntry.objects.filter(index_month__month=10).count()
    figures = client.get("/api/publication/figures?measure=index766&period=M11").json()
    assert figures["count"] == 5
    services.take_snapshot(on=date(2026, 1, 10))
    snapshot = Snapshot.objects.get(measure="index766", group="block:so-nganh")
    assert snapshot.period == "M11" and snapshot.rows.count() == 2
