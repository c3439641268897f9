"""The unit search in a real browser: live results through htmx, then a unit's history, on a phone, accessible."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from thuocdo.units.models import AdminUnit, UnitLineage
from thuocdo.units.services import refresh_unit_paths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _units() -> None:
    # Built directly, not with load_units: its audit entry could not be flushed after a transactional test.
    july = date(2025, 7, 1)
    province = AdminUnit.objects.create(
        structure="2025",
        level="province",
        code="66",
        name="Tỉnh Đắk Lắk",
        short_name="Đắk Lắk",
        division_type="Tỉnh",
        valid_from=july,
        search_name="tinh dak lak",
        search_short="dak lak",
    )
    ward = AdminUnit.objects.create(
        structure="2025",
        level="commune",
        code="24133",
        name="Phường Buôn Ma Thuột",
        short_name="Buôn Ma Thuột",
        division_type="Phường",
        parent=province,
        valid_from=july,
        search_name="phuong buon ma thuot",
        search_short="buon ma thuot",
    )
    old = AdminUnit.objects.create(
        structure="legacy",
        level="commune",
        code="24136",
        name="Phường Tân Lợi",
        short_name="Tân Lợi",
        division_type="Phường",
        valid_to=july,
        search_name="phuong tan loi",
        search_short="tan loi",
    )
    UnitLineage.objects.create(predecessor=old, successor=ward, effective_on=july)
    refresh_unit_paths()


def test_live_unit_search_and_history(page, live_server):
    _units()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/don-vi/")
    page.wait_for_load_state("networkidle")
    page.locator("#unit-q").fill("buon ma thuot")
    expect(page.locator("#unit-results")).to_contain_text("Phường Buôn Ma Thuột")
    assert "q=buon+ma+thuot" in page.url or "q=buon%20ma%20thuot" in page.url
    page.locator("#unit-q").fill("tan loi")
    expect(page.locator("#unit-results")).to_contain_text("Phường Tân Lợi")
    page.get_by_role("link", name="Phường Tân Lợi").click()
    expect(page.locator("h1")).to_have_text("Phường Tân Lợi")
    assert "Phường Buôn Ma Thuột" in page.locator("main").inner_text()  # what it is now

    page.add_script_tag(url=live_server.url + "/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})"
    )
    assert [v["id"] for v in result["violations"]] == []
    assert problems == [], problems
