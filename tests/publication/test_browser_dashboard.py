"""The officials' satisfaction dashboard on a 360-pixel phone: chart drawn, table alternative, accessible."""

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, assert_accessible, log_in
from tests.publication.survey_helpers import build_survey_world, official
from tests.publication.test_browser_public import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_on_a_phone(page, live_server, vn_map):
    world = build_survey_world(vn_map)
    user = official("tinh", "province_admin", unit=world.map.dak_lak)
    log_in(page, live_server.url, user.username, "mật-khẩu-dài-1234")
    page.goto(f"{live_server.url}/hai-long/quan-ly/")
    page.wait_for_selector(".chart-matrix svg", timeout=10_000)
    label = page.locator(".chart-matrix").get_attribute("aria-label")
    assert label.startswith("Ma trận ưu tiên của")
    expect(page.get_by_role("heading", name="Tỉnh Đắk Lắk", level=2)).to_be_visible()
    assert page.locator("table.figure-table caption", has_text="Ma trận ưu tiên").count() == 1
    assert no_horizontal_scroll(page)
    page.get_by_text("Các tiêu chí của yếu tố C").click()  # criteria fold out under their factor
    expect(page.get_by_role("region", name="Tiêu chí của yếu tố C")).to_be_visible()
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard_province_360.png"), full_page=True)
    page.get_by_role("button", name="Công bố kết quả").click()
    page.wait_for_selector(".messages")
    assert "Đã công bố" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="Sở Tư pháp").click()
    expect(page.get_by_role("heading", name="Sở Tư pháp", level=2)).to_be_visible()
    assert_accessible(page)
