from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.units.test_agencies import GOOD
from thuocdo.units import services


@pytest.mark.django_db
def test_search_page_full_and_htmx_partial(client, dak_lak):
    page = client.get("/don-vi/", {"q": "dak lak"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tra cứu đơn vị hành chính" in html and "Tỉnh Đắk Lắk" in html
    assert 'href="/don-vi/2025/province/66/"' in html
    partial = client.get("/don-vi/", {"q": "buon ma thuot"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "Phường Buôn Ma Thuột" in body and "<html" not in body
    nothing = client.get("/don-vi/", {"q": "khong co dau ca"}, headers={"HX-Request": "true"})
    assert "Không tìm thấy" in nothing.content.decode()


@pytest.mark.django_db
def test_detail_pages_show_history_children_and_agencies(client, dak_lak):
    data = io.BytesIO(GOOD.encode())
    data.name = "a.csv"
    services.import_agencies(source=data)
    current = client.get("/don-vi/2025/commune/24133/").content.decode()
    assert "Phường Buôn Ma Thuột" in current and "Phường Tân Lợi" in current  # predecessors
    assert "Ủy ban nhân dân phường Buôn Ma Thuột" in current and "ubnd.bmt@daklak.gov.vn" in current
    legacy = client.get("/don-vi/legacy/commune/24136/").content.decode()
    assert "hết hiệu lực từ ngày 01/07/2025" in legacy and "Nay là" in legacy
    assert "/don-vi/2025/commune/24133/" in legacy
    province = client.get("/don-vi/2025/province/66/").content.decode()
    assert "102 đơn vị trực thuộc" in province
    assert client.get("/don-vi/2025/commune/00000/").status_code == 404


@pytest.mark.django_db
def test_admin_lists_and_searches_units(admin_client, dak_lak):
    for url in [
        "/quan-tri/units/adminunit/",
        "/quan-tri/units/agency/",
        "/quan-tri/units/unitlineage/",
        "/quan-tri/units/comparisonblock/",
    ]:
        assert admin_client.get(url, {"q": "dak"}).status_code == 200
    assert "Tỉnh Đắk Lắk" in admin_client.get("/quan-tri/units/adminunit/", {"q": "dak lak"}).content.decode()


@pytest.mark.django_db
def test_units_commands(dak_lak, capsys):
    call_command("units", "which", "24136", "--on", "2024-05-01")
    out = capsys.readouterr().out
    assert "Ngày 01/05/2024, mã 24136: 24136 Phường Tân Lợi" in out
    assert "Nay:" in out and "24133 Phường Buôn Ma Thuột, Tỉnh Đắk Lắk" in out
    call_command("units", "search", "dak", "lak", "--limit", "1")
    assert capsys.readouterr().out.strip().startswith("66 Tỉnh Đắk Lắk")
    call_command("units", "load", "--province", "66")
    assert "0 mới, 0 cập nhật" in capsys.readouterr().out
