"""An official requests the monthly 766 report on a phone, watches it being made and downloads it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, assert_accessible, log_in
from tests.indices import conftest as indices_fixtures
from tests.publication.test_browser_public import no_horizontal_scroll
from thuocdo.indices import selectors as ix
from thuocdo.web.models import ReportJob

dossiers = indices_fixtures.dossiers
official = indices_fixtures.official
province = indices_fixtures.province
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_request_watch_and_download_a_766_report(page, live_server, dossiers, official, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    log_in(page, live_server.url, official.username, "mat-khau-dai-123")
    page.goto(f"{live_server.url}/bao-cao/")
    expect(page.get_by_role("heading", name="Lập báo cáo", level=1)).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    page.select_option("#unit-766", "province:66")
    page.fill("#month-766", "2025-10")
    page.select_option("#fmt-766", "xlsx")
    page.get_by_role("button", name="Lập báo cáo 766").click()
    page.wait_for_url("**/bao-cao/*-*/")
    link = page.get_by_role("link", name="Tải về XLSX")
    link.wait_for(timeout=90_000)
    assert_accessible(page)
    assert no_horizontal_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report766_done_360.png"), full_page=True)
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "downloaded.xlsx"
    info.value.save_as(saved)
    rows = [r for ws in load_workbook(saved).worksheets for r in ws.iter_rows(values_only=True)]
    total = next(r for r in rows if len(r) > 5 and r[1] == "TỔNG ĐIỂM")
    assert total[5] == float(ix.index_for("province:66", "2025-10").result.total)

    # A report still being made: an accessible progress bar with its value in words.
    now = timezone.now()
    running = ReportJob.objects.create(
        kind="766",
        unit="province:66",
        unit_label="Tỉnh Đắk Lắk",
        period="2025-09",
        fmt="pdf",
        requested_by=official,
        state="running",
        progress=42,
        step="xếp hạng: Sở Tư pháp",
        created_at=now,
        updated_at=now,
    )
    page.goto(f"{live_server.url}/bao-cao/{running.pk}/")
    bar = page.get_by_role("progressbar", name="Đang lập báo cáo: xếp hạng: Sở Tư pháp")
    assert bar.get_attribute("aria-valuenow") == "42"
    expect(page.locator(f"#job-{running.pk} span", has_text="42%")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / "report766_running_360.png"), full_page=True)
