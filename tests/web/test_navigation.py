"""The main menu: every section present, the current one marked, unfinished sections harmless."""

from __future__ import annotations

import pytest
from django.utils import translation

from thuocdo.web import navigation


@pytest.mark.django_db
def test_menu_lists_the_public_sections_in_order(client):
    html = client.get("/").content.decode()
    positions = [
        html.index(f">{label}</a>")
        for label in ("Trang chủ", "Xếp hạng", "Hài lòng", "Phản ánh", "Thủ tục", "Đơn vị", "Dữ liệu mở")
    ]
    assert positions == sorted(positions)


def test_current_section_is_marked_and_home_only_on_home():
    items = {str(item.label): item for item in navigation.main_items("/thu-tuc/ho-tich/")}
    assert items["Thủ tục"].current
    assert not items["Trang chủ"].current

    assert [str(item.label) for item in navigation.main_items("/") if item.current] == ["Trang chủ"]


def test_sections_without_a_page_yet_fall_back_to_their_fixed_path_in_each_language():
    assert navigation.url_for("procedures") == "/thu-tuc/"
    assert navigation.url_for("units") == "/don-vi/"
    with translation.override("en"):
        assert navigation.url_for("units") == "/en/don-vi/"


@pytest.mark.django_db
def test_signed_in_officials_find_their_work_pages_in_the_menu(client, django_user_model):
    public = client.get("/").content.decode()
    assert "/phan-anh/quan-ly/" not in public
    client.force_login(django_user_model.objects.create_user("canbo", password="x" * 12))
    page = client.get("/").content.decode()
    assert 'href="/phan-anh/quan-ly/"' in page and "Kết quả hài lòng" in page
