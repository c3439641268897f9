from __future__ import annotations

import json

import pytest
from ninja import NinjaAPI
from ninja.testing import TestClient

from thuocdo.dossiers.api import router
from thuocdo.dossiers.models import Dossier, Quarantine
from thuocdo.dossiers.services import create_source

from .factories import document

pytestmark = pytest.mark.django_db
client = TestClient(router)


def post(path, body, key):
    headers = {"X-API-Key": key} if key is not None else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_a_batch_without_a_key_or_with_a_wrong_key_is_refused(source_and_key):
    assert post("/batch", {"documents": [document()]}, None).status_code == 401
    assert post("/batch", {"documents": [document()]}, "td_wrong").status_code == 401
    assert not Dossier.objects.exists()


def test_a_batch_is_stored_and_answered_with_counts_and_rejections_by_field(source_and_key):
    source, key = source_and_key
    bad = document("A-3", KenhThucHien=7)
    response = post("/batch", {"documents": [document("A-1"), document("A-2"), bad]}, key)
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["stale"]) == (2, 0, 0)
    assert [(r["index"], r["MaHoSo"], r["field"]) for r in body["rejected"]] == [(2, "A-3", "KenhThucHien")]
    assert "7" in body["rejected"][0]["message"]
    assert body["unknown_agencies"] == ["H15.01"]
    assert Dossier.objects.get(code="A-1").source == source
    assert Quarantine.objects.get().source == source
    again = post("/batch", {"documents": [document("A-1")]}, key).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)


def test_a_batch_over_ten_thousand_documents_is_refused_whole(source_and_key):
    _, key = source_and_key
    response = post("/batch", {"documents": [{}] * 10_001}, key)
    assert response.status_code == 413
    assert "10,000" in response.json()["detail"]
    assert not Quarantine.objects.exists()


def test_a_body_that_is_not_a_batch_gets_a_clear_error(source_and_key):
    _, key = source_and_key
    response = client.post(
        "/batch", data=b"{not json", content_type="application/json", headers={"X-API-Key": key}
    )
    assert response.status_code == 400 and "JSON" in response.json()["detail"]
    response = post("/batch", {"docs": []}, key)
    assert response.status_code == 400 and "documents" in response.json()["detail"]


def test_a_source_reads_back_its_own_dossiers_only(source_and_key):
    _, key = source_and_key
    _, other_key = create_source(name="bo-cong-an")
    post("/batch", {"documents": [document("A-1")]}, key)
    mine = client.get("/A-1", headers={"X-API-Key": key})
    assert mine.status_code == 200
    body = mine.json()
    assert (body["MaHoSo"], body["TrangThaiHoSo"], body["timeliness"]) == ("A-1", 10, "early")
    assert [s["officer"] for s in body["steps"]] == ["Trần Thị Bình", "Lê Văn Cường"]
    assert body["document"]["MaTTHC"] == "1.001234"
    assert client.get("/A-1", headers={"X-API-Key": other_key}).status_code == 404


def test_events_are_accepted_once(source_and_key):
    _, key = source_and_key
    post(
        "/batch",
        {
            "documents": [
                document(
                    "A-1", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20251002090000"
                )
            ]
        },
        key,
    )
    event = {"MaHoSo": "A-1", "TrangThai": 9, "ThoiDiem": "20251003100000"}
    first = post("/events", {"events": [event, event]}, key).json()
    assert (first["accepted"], first["duplicates"]) == (1, 1)
    assert Dossier.objects.get(code="A-1").status == 9


def test_the_openapi_document_describes_the_key_and_the_bodies():
    api = NinjaAPI(urls_namespace="dossiers-openapi-test")
    api.add_router("/dossiers/", router)
    schema = api.get_openapi_schema(path_prefix="/api/")
    batch = schema["paths"]["/api/dossiers/batch"]["post"]
    assert batch["security"] == [{"SourceKey": []}]
    assert "documents" in batch["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {str(code) for code in batch["responses"]} >= {"200", "400", "413"}
    assert schema["components"]["securitySchemes"]["SourceKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert "/api/dossiers/events" in schema["paths"] and "/api/dossiers/{code}" in schema["paths"]


def test_the_batch_endpoint_validates_outside_the_request_transaction():
    from django.urls import resolve

    # ATOMIC_REQUESTS would hold SQLite's write lock while 10,000 documents are validated; the batch
    # endpoint opts out and commits once, after validation (events and reads stay atomic).
    assert resolve("/api/dossiers/batch").func._non_atomic_requests == {"default"}
    assert not getattr(resolve("/api/dossiers/events").func, "_non_atomic_requests", set())


def test_a_batch_through_the_full_request_stack_is_committed(transactional_db):
    from django.test import Client

    _, key = create_source(name="motcua-daklak")
    response = Client().post(
        "/api/dossiers/batch",
        data=json.dumps({"documents": [document("A-1"), document("A-2", KenhThucHien=9)]}),
        content_type="application/json",
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200
    assert (response.json()["accepted"], len(response.json()["rejected"])) == (1, 1)
    assert Dossier.objects.filter(code="A-1").exists() and Quarantine.objects.count() == 1
