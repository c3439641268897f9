from __future__ import annotations

from datetime import date

import pytest

from thuocdo.units import selectors
from thuocdo.units.models import AdminUnit


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["dak lak", "Đắk Lắk", "ĐẮK LẮK", "  dak   lak "])
def test_search_is_accent_insensitive_and_ranks_exact_matches_first(dak_lak, query):
    found = selectors.search_units(query)
    assert [(u.structure, u.level, u.code) for u in found[:2]] == [
        ("2025", "province", "66"),
        ("legacy", "province", "66"),
    ]


@pytest.mark.django_db
def test_search_ranks_prefix_before_substring(dak_lak):
    names = [u.name for u in selectors.search_units("buon ma thuot", structure="2025")]
    assert names == ["Phường Buôn Ma Thuột"]
    names = [u.name for u in selectors.search_units("buon ma thuot")]
    assert names[:2] == ["Phường Buôn Ma Thuột", "Thành phố Buôn Ma Thuột"]
    assert selectors.search_units("ea") and all("ea" in u.search_name for u in selectors.search_units("ea"))
    assert selectors.search_units("   ") == []


@pytest.mark.django_db
def test_search_by_code_prefers_the_current_unit(dak_lak):
    found = selectors.search_units("24133")
    assert [(u.structure, u.name) for u in found] == [
        ("2025", "Phường Buôn Ma Thuột"),
        ("legacy", "Phường Thành Công"),
    ]


@pytest.mark.django_db
def test_merged_commune_which_on_date(dak_lak):
    # Legacy code 24136 (Phường Tân Lợi, TP Buôn Ma Thuột) merged into Phường Buôn Ma Thuột (24133).
    answer = selectors.which("24136", date(2024, 5, 1))
    assert answer.unit.name == "Phường Tân Lợi" and answer.unit.parent.name == "Thành phố Buôn Ma Thuột"
    assert [(s.unit.code, s.unit.name, s.is_primary) for s in answer.now] == [
        ("24133", "Phường Buôn Ma Thuột", True)
    ]
    # After the reorganisation the code 24136 names nothing.
    assert selectors.unit_on("24136", date(2025, 7, 1)) is None
    # Code 24133 named Phường Thành Công before, Phường Buôn Ma Thuột from 1 July 2025.
    assert selectors.unit_on("24133", date(2025, 6, 30)).name == "Phường Thành Công"
    assert selectors.unit_on("24133", date(2025, 7, 1)).name == "Phường Buôn Ma Thuột"
    current = AdminUnit.objects.get(structure="2025", code="24133")
    assert {p.unit.name for p in selectors.predecessors(current)} >= {
        "Phường Thành Công",
        "Phường Tân Lợi",
        "Xã Cư ÊBur",
    }
    assert [s.unit.pk for s in selectors.current_successors(current)] == [current.pk]


@pytest.mark.django_db
def test_split_commune_maps_to_each_part_with_one_primary(dak_lak):
    answer = selectors.which("22024", date(2024, 5, 1))  # Phường 9, TP Tuy Hòa (Phú Yên)
    assert answer.unit.name == "Phường 9"
    assert [(s.unit.name, s.is_primary) for s in answer.now] == [
        ("Phường Tuy Hòa", True),
        ("Phường Bình Kiến", False),
    ]


@pytest.mark.django_db
def test_merged_province_which_on_date(hcmc):
    answer = selectors.which("77", date(2024, 5, 1))
    assert answer.unit.name == "Tỉnh Bà Rịa - Vũng Tàu"
    assert [(s.unit.code, s.unit.name) for s in answer.now] == [("79", "Thành phố Hồ Chí Minh")]
    assert selectors.unit_on("77", date(2025, 8, 1)) is None
    hcm = AdminUnit.objects.get(structure="2025", level="province", code="79")
    assert {p.unit.code for p in selectors.predecessors(hcm)} == {"74", "77", "79"}
    # An island district with no communes became a special zone.
    con_dao = selectors.which("755", date(2024, 5, 1))
    assert [s.unit.name for s in con_dao.now] == ["Đặc khu Côn Đảo"]


@pytest.mark.django_db
def test_abolished_district_resolves_to_its_communes_successors(dak_lak):
    district = AdminUnit.objects.get(structure="legacy", level="district", code="643")  # TP Buôn Ma Thuột
    now = selectors.current_successors(district)
    assert "Phường Buôn Ma Thuột" in {s.unit.name for s in now}
    assert all(s.unit.structure == "2025" and not s.is_primary for s in now)


@pytest.mark.django_db
def test_tree_helpers(dak_lak):
    commune = AdminUnit.objects.get(structure="legacy", level="commune", code="24136")
    assert [u.name for u in selectors.ancestors(commune)] == ["Tỉnh Đắk Lắk", "Thành phố Buôn Ma Thuột"]
    district = commune.parent
    assert commune in selectors.children(district)
    assert set(selectors.subtree(district, include_self=False)) == set(selectors.children(district))


@pytest.mark.django_db
def test_search_ignores_punctuation(dak_lak, hcmc):
    assert selectors.search_units("ba ria vung tau")[0].name == "Tỉnh Bà Rịa - Vũng Tàu"
    assert selectors.search_units("Bà Rịa - Vũng Tàu")[0].name == "Tỉnh Bà Rịa - Vũng Tàu"
    assert selectors.search_units("mdrak", structure="2025")[0].name == "Xã M'Drắk"
