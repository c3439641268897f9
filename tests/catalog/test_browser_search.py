"""The procedure search in a real browser: live results through htmx, on a phone, accessible, within the CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from thuocdo.catalog.services import read_procedure_file, save_procedures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_search_on_a_phone(page, live_server, sample_file):
    # Not import_procedures: its audit entry could not be flushed after a transactional test (the log is append-only).
    save_procedures(records=read_procedure_file(source=sample_file)[1])
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/thu-tuc/")
    page.wait_for_load_state("networkidle")
    assert "20 thủ tục" in page.locator("#procedure-results").inner_text()

    page.locator("#procedure-q").fill("khai sinh")
    expect(page.locator("#procedure-results")).to_contain_text("1 thủ tục")
    results = page.locator("#procedure-results").inner_text()
    assert "Đăng ký khai sinh" in results and "Trong ngày làm việc" in results
    assert "q=khai%20sinh" in page.url  # the address keeps the search, so it can be shared

    page.locator("#procedure-q").fill("")
    page.locator("#procedure-online").select_option("none")
    expect(page.locator("#procedure-results")).to_contain_text("2 thủ tục")
    assert "Chứng thực chữ ký" in page.locator("#procedure-results").inner_text()

    # axe is loaded from /static/ (same origin): Playwright's add_script_tag(path=...) would be an inline script,
    # which our Content Security Policy rightly blocks.
    page.add_script_tag(url=live_server.url + "/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})"
    )
    assert [v["id"] for v in result["violations"]] == []
    assert problems == [], problems
