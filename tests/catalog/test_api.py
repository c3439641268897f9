import pytest

from thuocdo.catalog.models import Procedure
from thuocdo.catalog.services import import_procedures
from thuocdo.units.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(sample_file, province):
    import_procedures(source=sample_file)
    Procedure.objects.get(code="1.001193").agencies.set(Agency.objects.filter(kind="commune_committee"))


def test_list_is_paginated_and_filtered(client, catalogue):
    body = client.get("/api/catalog/procedures").json()
    assert body["count"] == 20 and len(body["items"]) == 20
    body = client.get("/api/catalog/procedures", {"q": "khai sinh"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["code"] == "1.001193"
    assert item["field_code"] == "HOTICH" and item["field_name"] == "Hộ tịch"
    assert item["levels"] == ["commune"]
    assert item["time_limit"] == 0.5 and item["time_limit_unit"] == "working_days"
    assert item["time_limit_text"] == "Trong ngày làm việc"
    assert item["online_level"] == "full" and item["fee_bearing"] is False
    body = client.get("/api/catalog/procedures", {"level": "province", "online_level": "partial"}).json()
    assert sorted(i["code"] for i in body["items"]) == ["1.009972", "1.012296", "1.012760"]
    body = client.get("/api/catalog/procedures", {"field": "CHUNGTHUC", "page": 2}).json()
    assert body["count"] == 2 and body["items"] == []


def test_bad_filter_is_rejected(client, catalogue):
    assert client.get("/api/catalog/procedures", {"level": "district"}).status_code == 422


def test_detail(client, catalogue):
    body = client.get("/api/catalog/procedures/1.001193").json()
    assert body["name"] == "Đăng ký khai sinh"
    assert body["published_on"] == "2025-06-12"
    assert body["decision_number"] == "1452/QĐ-UBND"
    assert body["agency_codes"] == ["H15.101", "H15.102"]
    assert client.get("/api/catalog/procedures/9.999999").status_code == 404
