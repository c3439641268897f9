"""The officials' satisfaction dashboard: aggregates only, scoped to what the user may see, publish button."""

from __future__ import annotations

import pytest

from tests.publication.survey_helpers import official
from thuocdo.publication.models import PublishedFigure

pytestmark = pytest.mark.django_db
URL = "/hai-long/quan-ly/"


def test_login_is_required(client, survey_world):
    response = client.get(URL)
    assert response.status_code == 302 and "/tai-khoan/" in response["Location"]


def test_province_admin_sees_the_round_weakest_criteria_drivers_and_publishes(client, survey_world):
    client.force_login(official("tinh", "province_admin", unit=survey_world.map.dak_lak))
    page = client.get(URL).content.decode()
    assert "Tỉnh Đắk Lắk" in page and "118 phiếu" in page
    assert "Các tiêu chí thấp nhất" in page and "Ma trận ưu tiên" in page
    assert 'data-chart="matrix-data"' in page and '"kind": "matrix"' in page
    assert "Theo khối cơ quan" in page and "Theo xã, phường" in page and "Sở Tư pháp" in page
    assert "Công bố kết quả" in page
    response = client.post(URL + "cong-bo/", {"dot": "sipas-2026"}, follow=True)
    assert "Đã công bố" in response.content.decode()
    assert PublishedFigure.objects.filter(campaign=survey_world.campaign).count() > 100


def test_weakest_criteria_are_only_cells_shown(client, survey_world):
    client.force_login(official("tinh", "province_admin", unit=survey_world.map.dak_lak))
    response = client.get(URL, {"dot": "sipas-2026", "don-vi": "agency:H15.02"})
    weakest = response.context["weakest"]
    assert weakest and all(c.shown and c.n >= 5 for c in weakest)
    assert [c.estimate for c in weakest] == sorted(c.estimate for c in weakest)
    items = {c.code: c for c in response.context["domain"].items}
    assert not items["E1"].shown and items["E1"].suppression == "small"  # 3 answers
    assert "E1" not in [c.code for c in weakest]


def test_drill_down_from_the_province_to_a_block_and_a_commune(client, survey_world):
    client.force_login(official("tinh", "analyst", unit=survey_world.map.dak_lak))
    block = client.get(URL, {"dot": "sipas-2026", "don-vi": "block:so-nganh"})
    assert block.status_code == 200
    names = [d.name for title, rows in block.context["children"] for d, url in rows]
    assert names and set(names) <= {"Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính"}
    commune = client.get(URL, {"dot": "sipas-2026", "don-vi": "commune:24121"})
    assert commune.context["domain"].n == 25
    assert "Công bố kết quả" not in commune.content.decode()  # an analyst may not publish
    assert client.post(URL + "cong-bo/", {"dot": "sipas-2026"}).status_code == 404
    assert not PublishedFigure.objects.exists()


def test_an_agency_official_sees_only_their_agency(client, survey_world):
    client.force_login(official("noivu", "agency_head", agency=survey_world.agencies["H15.02"]))
    page = client.get(URL)
    assert page.context["domain"].code == "H15.02"
    assert "Sở Nội vụ" in page.content.decode() and "Công bố kết quả" not in page.content.decode()
    assert client.get(URL, {"dot": "sipas-2026", "don-vi": "agency:H15.03"}).status_code == 404
    assert client.get(URL, {"dot": "sipas-2026", "don-vi": "scope:"}).status_code == 404
    assert client.get(URL, {"dot": "sipas-2026", "don-vi": "block:so-nganh"}).status_code == 404
    assert client.post(URL + "cong-bo/", {"dot": "sipas-2026"}).status_code == 404


def test_an_agency_below_k_sees_no_figure_of_its_own(client, survey_world):
    client.force_login(official("taichinh", "agency_head", agency=survey_world.agencies["H15.04"]))
    response = client.get(URL)
    page = response.content.decode()
    assert response.context["domain"].small
    assert "Chưa đủ số phiếu: 3 phiếu" in page
    assert "Chỉ số thành phần và tiêu chí" not in page and "matrix-data" not in page
    assert "%" not in page.split('id="domain-title"')[1].split("</section>")[0].replace("100%", "")


def test_an_official_outside_the_campaign_gets_404(client, survey_world):
    stranger = official("hanoi", "province_admin", unit=survey_world.map.ha_noi)
    client.force_login(stranger)
    assert client.get(URL, {"dot": "sipas-2026"}).status_code == 404
    page = client.get(URL).content.decode()
    assert "Không có đợt khảo sát nào trong phạm vi của bạn" in page


def test_driver_importance_is_shown_as_a_share_of_r2(client, survey_world):
    client.force_login(official("tinh", "province_admin", unit=survey_world.map.dak_lak))
    drivers = client.get(URL).context["drivers"]
    assert abs(sum(share for _d, _cell, share in drivers) - 100) < 0.01
    assert all(d.priority is None or cell.shown for d, cell, _share in drivers)
