"""The citizen pages in a 360 px phone browser: accessible (axe, WCAG 2.1 AA), usable without JS, light."""

from __future__ import annotations

import gzip
import re
from datetime import date

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import expect

from tests.conftest import assert_accessible
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, Invitation
from thuocdo.surveys.selectors import FrameEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_campaign(world):
    c = services.create_campaign(
        slug="sipas-web", name="Khảo sát SIPAS", instrument=world["instruments"]["sipas-2017"],
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), agencies=list(world["agencies"].values()), actor="test",
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    services.draw_sample(
        campaign=c, frame=[FrameEntry(f"A{i}", "S.TP", "Sở Tư pháp") for i in range(20)], actor="test", seed=1
    )
    return c


def test_invitation_form_works_without_javascript(browser, live_server, open_campaign):
    context = browser.new_context(
        viewport={"width": 360, "height": 800}, locale="vi-VN", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/khao-sat/{services.invitation_token(Invitation.objects.first())}/")
    # Native radios in fieldsets and a plain submit button: nothing needs a script.
    assert page.locator("fieldset input[type=radio][name=A1]").count() == 5
    page.check("input[name=A1][value='4']")
    assert page.is_checked("input[name=A1][value='4']")
    expect(page.get_by_role("button", name="Gửi phiếu")).to_be_visible()
    context.close()


def test_invitation_form_is_accessible(page, live_server, open_campaign):
    token = services.invitation_token(Invitation.objects.first())
    page.goto(f"{live_server.url}/khao-sat/{token}/")
    assert_accessible(page)


def test_kiosk_is_accessible(page, live_server, world):
    c = services.create_campaign(
        slug="quay", name="Tại quầy", instrument=world["instruments"]["counter-faces"], starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31), actor="test",
    )  # fmt: skip
    _k, key = services.create_kiosk(
        agency=world["agencies"]["S.TP"], counter="Quầy 1", campaign=c, actor="test"
    )
    page.goto(f"{live_server.url}/quay/{key}/")
    assert_accessible(page)


@pytest.mark.django_db
def test_form_page_weight_is_under_100_kb_compressed(client, campaign):
    """HTML + the CSS and JS it loads, gzip-compressed as whitenoise serves them (fonts are cached apart)."""
    services.draw_sample(
        campaign=campaign,
        frame=[FrameEntry(f"A{i}", "S.TP", "Sở Tư pháp") for i in range(20)],
        actor="test",
        seed=1,
    )
    html = client.get(f"/khao-sat/{services.invitation_token(Invitation.objects.first())}/").content
    total = len(gzip.compress(html))
    for url in re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html):
        path = finders.find(url.decode())
        total += len(gzip.compress(open(path, "rb").read()))  # noqa: SIM115
    assert total < 100 * 1024, f"{total} bytes"
