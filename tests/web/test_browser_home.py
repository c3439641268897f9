"""The public home page in a real browser: phone layout, accessibility, fonts, language, keyboard, CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_accessible

pytestmark = pytest.mark.browser

PAGE_WEIGHT_LIMIT = 500_000  # bytes, decoded, before any chart library


def open_home(page, live_server, path: str = "/"):  # type: ignore[no-untyped-def]
    """Load a page, collecting what the browser refused (CSP violations, failed loads) and uncaught exceptions."""
    problems: list[str] = []

    def on_console(message):  # type: ignore[no-untyped-def]
        if message.type == "error" and (
            "Refused to" in message.text or "violates" in message.text or "Failed to load" in message.text
        ):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    return problems


def test_home_on_a_phone_fits_the_screen_and_passes_axe(page, live_server):
    problems = open_home(page, live_server)

    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 360, (
        f"horizontal scroll: content is {widths[0]}px wide on a 360px screen"
    )
    assert_accessible(page)
    assert problems == [], f"console errors (CSP violations?): {problems}"


def test_home_shows_vietnamese_in_the_vendored_noto_sans(page, live_server):
    open_home(page, live_server)

    assert page.title().startswith("Đo lường chất lượng phục vụ hành chính công")
    heading = page.locator("h1")
    assert "Chất lượng phục vụ của cơ quan nhà nước" in heading.inner_text()
    assert page.locator(".brand-name").inner_text() == "Thước Đo"
    family = heading.evaluate("element => getComputedStyle(element).fontFamily")
    assert family.startswith('"Noto Sans"')
    loaded = page.evaluate(
        "document.fonts.ready.then(() => [...document.fonts]"
        ".filter(face => face.status === 'loaded').map(face => face.family + '|' + face.unicodeRange))"
    )
    # The Vietnamese subset (ạ…ỹ live in U+1EA0-1EF9) must come from our static files, not a system font.
    assert any("Noto Sans" in face and "U+1EA0-1EF9" in face for face in loaded), loaded


def test_public_page_weight_stays_under_budget_without_charts(page, live_server):
    open_home(page, live_server)

    resources = page.evaluate(
        "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".map(entry => [entry.name, entry.decodedBodySize])"
    )
    names = [name for name, _size in resources]
    total = sum(size for _name, size in resources)
    assert not any("echarts" in name for name in names), "echarts must load only on pages that draw charts"
    assert any(name.endswith("/vendor/htmx/htmx.min.js") for name in names)
    assert total < PAGE_WEIGHT_LIMIT, f"home page weighs {total} bytes: {resources}"


def test_switching_to_english_and_back(page, live_server):
    open_home(page, live_server)

    page.get_by_role("button", name="English").click()
    page.wait_for_url(live_server.url + "/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert (
        page.locator("h1").inner_text()
        == "The quality of public services, measured by the people who use them"
    )
    assert page.get_by_role("link", name="Skip to main content").count() == 1

    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Chất lượng phục vụ" in page.locator("h1").inner_text()


def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(page, live_server):
    open_home(page, live_server)

    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent.trim(), document.activeElement.className]")
    assert focused == ["Bỏ qua điều hướng", "skip-link"]
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 44, (
        f"skip link not visible when focused: {box}"
    )

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_phone_menu_opens_with_a_large_button(page, live_server):
    open_home(page, live_server)
    menu_link = page.locator("#main-nav").get_by_role("link", name="Thủ tục")
    toggler = page.get_by_role("button", name="Menu")

    expect(menu_link).not_to_be_visible()
    assert toggler.bounding_box()["height"] >= 44
    toggler.click()
    menu_link.wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    assert menu_link.bounding_box()["height"] >= 44
    assert menu_link.get_attribute("href") == "/thu-tuc/"
    current = page.locator("#main-nav [aria-current=page]")
    assert current.inner_text() == "Trang chủ"


def test_menu_is_usable_without_javascript(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(page.locator("#main-nav").get_by_role("link", name="Đơn vị")).to_be_visible()
        expect(page.locator(".navbar-toggler")).not_to_be_visible()
    finally:
        context.close()


def test_htmx_requests_carry_the_csrf_token(page, live_server):
    open_home(page, live_server)
    seen: dict[str, str] = {}

    def capture(route, request):  # type: ignore[no-untyped-def]
        seen.update(request.headers)
        route.fulfill(status=200, body="")

    page.route("**/htmx-probe/", capture)
    page.evaluate(
        "htmx.ajax('POST', '/htmx-probe/', {target: '#main', swap: 'none'})"
    )  # resolves once answered

    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert token
    assert seen.get("x-csrftoken") == token
    assert seen.get("hx-request") == "true"
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False


def test_home_on_a_desktop(page, live_server):
    """A 1280px screenshot (saved under test-artifacts/) for design review, with the menu laid out in one row."""
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = open_home(page, live_server)

    expect(page.locator(".navbar-toggler")).not_to_be_visible()
    boxes = [link.bounding_box() for link in page.locator("#main-nav .nav-link").all()]
    assert len(boxes) == 7
    assert len({round(box["y"]) for box in boxes}) == 1, "desktop menu wraps onto several rows"
    cards = page.locator(".entry-card").all()
    assert len({round(card.bounding_box()["y"]) for card in cards}) == 1, (
        "the four entry cards should share a row"
    )
    assert_accessible(page)
    assert problems == []
