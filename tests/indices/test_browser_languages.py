"""The officials' 766 page and its explain page read right in Vietnamese and in English (screenshots kept)."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS, assert_accessible, log_in
from tests.indices.test_browser_drilldown import _atomic_ingest, dossiers  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("dossiers"),
]
PAGES = {
    "index": "/chi-so/766/?unit=province:66&period=2025-10",
    "explain": "/chi-so/766/giai-thich/?indicator=2.1&unit=province:66&period=2025-10",
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_index_and_explain_pages_in_each_language(page, live_server, official, language):
    log_in(page, live_server.url, "quantri", "mat-khau-dai-123")
    prefix = "" if language == "vi" else "/en"
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in PAGES.items():
        page.goto(f"{live_server.url}{prefix}{path}")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"languages_{name}_{language}_1280.png"), full_page=True)
        page.set_viewport_size({"width": 360, "height": 800})
        text = page.locator("main").inner_text()
        if name == "index":
            row = page.locator("tr", has=page.locator("td", has_text="2.1")).first.inner_text()
            assert "%" in row and "," in row
            wanted = (
                "Dossiers handled early or on time"
                if language == "en"
                else "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn"
            )
            assert wanted in row
        else:
            heading = page.get_by_role("heading", level=1).inner_text()
            wanted = (
                "Dossiers handled early or on time"
                if language == "en"
                else "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn"
            )
            assert wanted in heading
        if language == "en":
            assert "Tiến độ, kết quả giải quyết" not in text
        assert_accessible(page)
