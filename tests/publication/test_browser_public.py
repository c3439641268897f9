"""Citizen journeys on a 360-pixel phone: the satisfaction page, the map, open data (screenshots in test-artifacts/)."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_accessible
from tests.publication.helpers import csv_file
from thuocdo.publication import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def published(vn_map):
    rows = []
    for year, dl, py in (
        (2021, 81.7, 82.05),
        (2022, 81.98, 82.41),
        (2023, 85.71, 84.96),
        (2024, 86.31, 85.18),
    ):
        rows += [["66", year, "sipas", dl, "", "", 500], ["54", year, "sipas", py, "", "", 520]]
    rows += [
        ["1", 2024, "sipas", 84.2, "", "", 600],
        ["66", 2025, "sipas", "87.36", "86.2", "88.5", 3200],
        ["24121", 2025, "sipas", "91.00", "85", "97", 60],
        ["22015", 2025, "sipas", "86.00", "80", "92", 45],
        ["24400", 2025, "sipas", "99.00", "", "", 3],
    ]
    services.import_history(
        source=csv_file(["unit_code", "year", "measure", "value", "ci_low", "ci_high", "n"], *rows)
    )
    services.set_target(
        measure="sipas",
        threshold=Decimal(90),
        target_year=2025,
        label="Hài lòng tối thiểu 90% năm 2025",
        effective_from=date(2021, 7, 15),
    )
    services.set_target(
        measure="sipas",
        threshold=Decimal(95),
        target_year=2030,
        label="Hài lòng tối thiểu 95% năm 2030",
        effective_from=date(2021, 7, 15),
    )
    services.take_snapshot(on=date(2026, 1, 1))
    return vn_map


def no_horizontal_scroll(page):
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-responsive'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"wider than the phone: {wide}"
    return fits


def chart_drawn(page, selector):
    page.wait_for_selector(f"{selector} svg", timeout=10_000)
    return page.locator(selector).get_attribute("aria-label")


def test_satisfaction_page_on_a_phone(page, live_server, published):
    page.goto(f"{live_server.url}/hai-long/?tinh=66")
    label = chart_drawn(page, ".chart-trend")
    assert label.startswith("Tỉnh Đắk Lắk: chỉ số hài lòng từ")
    assert page.locator("table.figure-table caption", has_text="Kết quả từng năm").count() == 1
    assert page.get_by_text("Chưa đủ số phiếu").count() >= 1
    assert no_horizontal_scroll(page)
    assert_accessible(page)


def test_map_page_on_a_phone(page, live_server, published):
    page.goto(f"{live_server.url}/ban-do/?cap=xa&tinh=66")
    label = chart_drawn(page, ".chart-map")
    assert "cao nhất Phường Buôn Ma Thuột" in label
    assert page.locator("table.figure-table tbody tr").count() == 3
    assert no_horizontal_scroll(page)
    assert_accessible(page)


def test_open_data_page_on_a_phone_and_by_keyboard(page, live_server, published):
    page.goto(f"{live_server.url}/du-lieu-mo/")
    expect(page.get_by_role("heading", name="Dữ liệu mở", level=1)).to_be_visible()
    link = page.locator('a[href$="/du-lieu-mo/so-lieu-cong-bo.csv"]')
    link.focus()
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith("so-lieu-cong-bo.csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "so-lieu-cong-bo.csv"
    assert no_horizontal_scroll(page)
    assert_accessible(page)
