"""Shared fixtures: a headless Chromium driven by Playwright for browser tests, with screenshots kept.

Browser tests use Debian's /usr/bin/chromium (never a downloaded browser). Without it they are
skipped locally, but THUOCDO_REQUIRE_BROWSER=1 (set by .ci/run) turns that into a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import settings

# Property tests judge results, not speed: under two xdist workers and browser tests, an example that
# stalls past hypothesis' 200 ms deadline failed a run now and then with nothing wrong.
settings.register_profile("thuocdo", deadline=None)
settings.load_profile("thuocdo")

CHROMIUM = os.environ.get("THUOCDO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("THUOCDO_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh phone-sized page in Vietnamese; a full-page screenshot is saved under test-artifacts/."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="vi-VN")
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


def assert_accessible(pg) -> None:  # type: ignore[no-untyped-def]
    """Run axe-core (vendored) on the current page and fail on any WCAG 2.1 A/AA violation."""
    # A path would be injected inline, which the CSP refuses; the vendored file is served same-origin.
    pg.add_script_tag(url=urljoin(pg.url, "/static/vendor/axe-core/axe.min.js"))
    result = pg.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})"
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not violations, "accessibility violations:\n" + "\n".join(violations)


def log_in(pg, base_url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form and wait for the redirect: a goto issued while the POST is in flight may cancel it."""
    pg.goto(f"{base_url}/tai-khoan/dang-nhap/")
    pg.fill("input[name=username]", username)
    pg.fill("input[name=password]", password)
    pg.click("main button[type=submit]")
    pg.wait_for_url(lambda url: "/tai-khoan/dang-nhap/" not in url)


pytest_plugins = ["tests.audit.fixtures"]


@pytest.fixture(autouse=True)
def _vietnamese_again_after_each_test():  # type: ignore[no-untyped-def]
    """A request to /en/ leaves English active in the thread; the next test must start in the default language."""
    yield
    from django.utils import translation

    translation.activate("vi")


@pytest.fixture(autouse=True)
def _audit_log_is_emptied_after_transactional_tests(request):  # type: ignore[no-untyped-def]
    """Transactional tests (live_server, transaction=True) may write audit entries; see tests/audit/fixtures.py."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("erasable_audit_log")
