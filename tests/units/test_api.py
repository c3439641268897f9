from __future__ import annotations

import io

import pytest

from tests.units.test_agencies import GOOD
from thuocdo.units import services


@pytest.mark.django_db
def test_search_endpoint(client, dak_lak):
    response = client.get("/api/units/search", {"q": "dak lak"})
    assert response.status_code == 200
    first = response.json()[0]
    assert (first["structure"], first["level"], first["code"], first["name"]) == (
        "2025",
        "province",
        "66",
        "Tỉnh Đắk Lắk",
    )
    only_legacy = client.get("/api/units/search", {"q": "buon ma thuot", "structure": "legacy"}).json()
    assert only_legacy and {u["structure"] for u in only_legacy} == {"legacy"}


@pytest.mark.django_db
def test_unit_endpoint_with_history(client, dak_lak):
    legacy = client.get("/api/units/legacy/commune/24136").json()
    assert legacy["name"] == "Phường Tân Lợi" and legacy["parent_name"] == "Thành phố Buôn Ma Thuột"
    assert legacy["valid_to"] == "2025-07-01"
    assert [(s["code"], s["name"], s["is_primary"]) for s in legacy["current"]] == [
        ("24133", "Phường Buôn Ma Thuột", True)
    ]
    current = client.get("/api/units/2025/commune/24133").json()
    assert current["parent_code"] == "66"
    assert {p["name"] for p in current["predecessors"]} >= {"Phường Tân Lợi", "Phường Thành Công"}
    assert current["successors"] == []
    assert client.get("/api/units/2025/province/66").json()["children_count"] == 102
    missing = client.get("/api/units/2025/commune/00000")
    assert missing.status_code == 404


@pytest.mark.django_db
def test_agencies_endpoint_filters(client, dak_lak):
    data = io.BytesIO(GOOD.encode())
    data.name = "a.csv"
    services.import_agencies(source=data)
    in_province = client.get("/api/units/agencies", {"unit": "66"}).json()
    assert {a["code"] for a in in_province} == {"H15", "H15.05", "H15.66.002"}
    in_ward = client.get("/api/units/agencies", {"unit": "24133"}).json()
    assert [a["code"] for a in in_ward] == ["H15.66.002"]
    departments = client.get("/api/units/agencies", {"block": "so-nganh"}).json()
    assert [(a["code"], a["kind_label"], a["office_hours"]) for a in departments] == [
        ("H15.05", "Sở, ban, ngành", "07:00-11:30,13:30-17:00")
    ]
    by_name = client.get("/api/units/agencies", {"q": "xay dung"}).json()
    assert [a["name"] for a in by_name] == ["Sở Xây dựng"]
    assert client.get("/api/units/agencies", {"unit": "nope"}).json() == []
