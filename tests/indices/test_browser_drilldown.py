"""An official drills from the province down to one official on a phone, then tries the what-if form."""

from __future__ import annotations

import pytest
from django.db import transaction
from playwright.sync_api import expect

import tests.indices.conftest as base
from tests.conftest import ARTIFACTS, assert_accessible, log_in
from tests.publication.test_browser_public import no_horizontal_scroll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("dossiers"),
]


@pytest.fixture
def _atomic_ingest(monkeypatch):  # type: ignore[no-untyped-def]
    """Load inside a transaction, as the command and the API do: on PostgreSQL the ingest needs one."""
    real = base.load

    def load(docs, **kw):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            real(docs, **kw)

    monkeypatch.setattr(base, "load", load)


@pytest.fixture
def dossiers(_atomic_ingest, dossiers):  # type: ignore[no-untyped-def]
    return dossiers


def _shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep the page at 360 px and at 1280 px, then return to the phone."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"drill_{name}_360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"drill_{name}_1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})


def test_drill_from_province_to_an_official_and_what_if(page, live_server, official):
    log_in(page, live_server.url, "quantri", "mat-khau-dai-123")
    page.goto(f"{live_server.url}/chi-so/766/?unit=province:66&period=2025-10")
    expect(page.get_by_role("heading", name="Đơn vị trực thuộc")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    _shots(page, "1_province")

    page.get_by_role("link", name="Sở Tư pháp", exact=True).click()
    expect(page.locator(".breadcrumb")).to_contain_text("Sở Tư pháp")
    page.get_by_role("link", name="Theo thủ tục").click()
    expect(page.get_by_role("heading", name="Chỉ số 766 theo thủ tục")).to_be_visible()
    expect(page.get_by_role("link", name="Cán bộ xử lý").first).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    _shots(page, "2_procedures")

    page.get_by_role("navigation", name="Xem sâu hơn").get_by_role("link", name="Theo cán bộ").click()
    expect(page.get_by_role("heading", name="Chỉ số 766 theo cán bộ xử lý")).to_be_visible()
    assert_accessible(page)
    _shots(page, "3_officials")

    page.get_by_role("link", name="Trần Văn Chậm").click()
    expect(page.get_by_role("heading", name="Trần Văn Chậm")).to_be_visible()
    expect(page.get_by_role("cell", name="H66.01-LATE")).to_be_visible()
    crumbs = page.locator(".breadcrumb").inner_text()
    assert "Tỉnh Đắk Lắk" in crumbs and "Theo cán bộ" in crumbs
    assert_accessible(page)
    _shots(page, "4_official")

    page.goto(f"{live_server.url}/chi-so/766/gia-dinh/?unit=province:66&period=2025-10")
    page.fill("input[name=cleared]", "0")
    page.get_by_label("Tỷ lệ giả định của chỉ số 4.2 (%)").fill("80")
    page.get_by_role("button", name="Tính điểm giả định").click()
    expect(page.get_by_role("heading", name="Kết quả giả định")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Tổng điểm")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    _shots(page, "5_whatif")

    page.get_by_role("link", name="Cảnh báo").first.click()
    expect(page.get_by_role("heading", name="Bản tin cảnh báo qua e-mail")).to_be_visible()
    assert (
        page.get_by_label("Ngưỡng giảm (điểm)").input_value() == "2"
    )  # the default, readable by a number input
    page.get_by_label("Tần suất").select_option("weekly")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".messages")).to_contain_text("Đã lưu")
    page.get_by_role("link", name="Xem trước bản tin").click()
    expect(page.get_by_role("heading", name="Xem trước bản tin (chưa gửi)")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    _shots(page, "6_alerts")
