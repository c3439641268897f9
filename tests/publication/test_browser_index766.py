"""The citizen's 766 journey on a 360-pixel phone: rankings → a unit's page → the late list (screenshots kept)."""

import pytest

from tests.conftest import ARTIFACTS, assert_accessible
from tests.publication.index766_helpers import NOW
from tests.publication.test_browser_public import chart_drawn, no_horizontal_scroll
from thuocdo.publication import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def keep(page, name):
    """Screenshots at 360 px and 1280 px for design review (test-artifacts/), then back to the phone."""
    page.screenshot(path=str(ARTIFACTS / f"index766_{name}_360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"index766_{name}_1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})


def test_rankings_unit_page_and_late_list_on_a_phone(page, live_server, world766):
    for month in ("2025-10", "2025-11"):
        services.publish_index766_month(month=month, actor="test", now=NOW)
    page.goto(f"{live_server.url}/xep-hang/")
    assert page.get_by_role(
        "heading", name="Xếp hạng phục vụ người dân, doanh nghiệp (Quyết định 766)"
    ).is_visible()
    assert page.locator("#month-pick").input_value() == "2025-11"
    assert page.locator("table.rank766 caption", has_text="Khối sở, ban, ngành").count() == 1
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    keep(page, "1_rankings")

    # By keyboard: the month picker goes to the older month.
    page.locator("#month-pick").select_option("2025-10")
    page.locator(".month-picker button[type=submit]").press("Enter")
    page.wait_for_url("**thang=2025-10**")
    link = page.locator("table.rank766 a", has_text="Phường Tân An")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/don-vi-cong-khai/24140/")
    label = chart_drawn(page, ".chart-trend")
    assert label.startswith("Phường Tân An: chỉ số 766 tháng 11/2025")
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    keep(page, "2_unit")

    page.locator("a", has_text="Danh sách trễ hạn").first.click()
    page.wait_for_url("**/tre-han/**")
    assert page.locator("table.figure-table caption", has_text="Cán bộ xử lý quá thời hạn").count() == 1
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    keep(page, "3_late_list")
