"""Officials' pages and the JSON API: the index of a unit, explain-this-score, late lists, access."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]


def test_index_page_shows_groups_points_band_and_children(client, official):
    client.force_login(official)
    page = client.get("/chi-so/766/", {"unit": "province:66", "period": "2025-10"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Tỉnh Đắk Lắk" in text
    assert "Tiến độ, kết quả giải quyết" in text
    view = page.context["view"]
    assert view.tallies["2.1"].denominator > 0
    assert str(view.result.total).replace(".", ",") in text  # Vietnamese decimal comma
    assert view.result.band.name_vi in text
    children = {child.key for child, _view, _q in page.context["children"]}
    assert {"agency:H66.01", "commune:24133"} <= children


def test_explain_page_lists_dossiers_with_reasons_and_paginates(client, official):
    client.force_login(official)
    page = client.get(
        "/chi-so/766/giai-thich/", {"indicator": "2.1", "unit": "agency:H66.01", "period": "2025-10"}
    )
    assert page.status_code == 200
    e = page.context["e"]
    late = next(r for r in e.rows if r.record == "H66.01-LATE")
    assert not late.in_numerator and late.in_denominator
    assert late.reason_vi.startswith("Trễ hạn")
    assert "H66.01-LATE" in page.content.decode()
    assert sum(r.in_denominator for r in e.rows) <= e.denominator
    second = client.get(
        "/chi-so/766/giai-thich/",
        {"indicator": "2.1", "unit": "province:66", "period": "2025-Q4", "page": 2},
    )
    e2 = second.context["e"]
    assert e2.page == 2 and e2.pages == 2
    assert len(e2.rows) == e2.total_rows - 50
    assert e2.denominator <= e2.total_rows


def test_late_page_and_csv_name_the_late_unit_and_official(client, official):
    client.force_login(official)
    page = client.get("/chi-so/766/tre-han/", {"unit": "province:66", "period": "2025-10"})
    assert page.status_code == 200
    assert any(u.agency_code == "H66.01" for u in page.context["units"])
    assert any(o.officer == "Trần Văn Chậm" for o in page.context["officials"])
    csv = client.get("/chi-so/766/tre-han.csv", {"unit": "province:66", "period": "2025-10"})
    body = csv.content.decode("utf-8-sig")
    assert "Trần Văn Chậm" in body and "Sở Tư pháp" in body


def test_pages_need_a_login_and_a_scope(client, django_user_model):
    assert client.get("/chi-so/766/", {"unit": "province:66"}).status_code == 302
    nobody = django_user_model.objects.create_user("khach", password="mat-khau-dai-123")
    client.force_login(nobody)
    assert client.get("/chi-so/766/", {"unit": "province:66"}).status_code == 403


def test_unknown_unit_or_bad_period_is_not_found(client, official):
    client.force_login(official)
    assert client.get("/chi-so/766/", {"unit": "province:99"}).status_code == 404
    assert client.get("/chi-so/766/", {"unit": "province:66", "period": "2025-13"}).status_code == 404


def test_api_index_explain_and_late(client, official):
    client.force_login(official)
    got = client.get("/api/indices/766", {"unit": "province:66", "period": "2025-10"}).json()
    assert got["label"] == "Tỉnh Đắk Lắk"
    ind = {i["id"]: i for i in got["indicators"]}
    assert ind["2.1"]["denominator"] > 0
    assert round(sum(g["points"] for g in got["groups"]), 2) == got["total"]
    e = client.get(
        "/api/indices/766/explain", {"indicator": "3.3", "unit": "province:66", "period": "2025-10"}
    ).json()
    assert e["count"] == ind["3.3"]["denominator"]
    assert sum(r["in_numerator"] for r in e["items"]) <= e["numerator"]
    late = client.get("/api/indices/766/late", {"unit": "agency:H66.01", "period": "2025-10"}).json()
    assert late["units"][0]["agency_code"] == "H66.01"
    assert client.get("/api/indices/766", {"unit": "nowhere:1"}).status_code == 422
