"""SIPAS 2021 v2 in a 360 px phone browser: three aspects, filters, and a real submission through the
submission lane (the browser sends the CSRF cookie and the form's token as a citizen's would)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_accessible
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, Invitation, Response
from thuocdo.surveys.selectors import FrameEntry, latest_instrument

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign_2021(world):
    c = services.create_campaign(
        slug="sipas-2021-web", name="Khảo sát SIPAS 2021", instrument=latest_instrument("sipas-2021"),
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), agencies=list(world["agencies"].values()), actor="test",
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    services.draw_sample(
        campaign=c, frame=[FrameEntry(f"A{i}", "S.TP", "Sở Tư pháp") for i in range(10)], actor="test", seed=1
    )
    return c


def test_a_resident_answers_policy_and_education_on_a_phone(page, live_server, campaign_2021):
    token = services.invitation_token(Invitation.objects.first())
    page.goto(f"{live_server.url}/khao-sat/{token}/")
    for heading in ("Trách nhiệm giải trình về chính sách", "Tiếp cận dịch vụ", "Dịch vụ y tế công"):
        expect(page.get_by_text(heading, exact=True).first).to_be_visible()
    assert_accessible(page)
    page.check("input[name=F0][value='2']")  # no procedure in the last 12 months
    page.check("input[name=G0][value='1']")
    page.check("input[name=Y0][value='2']")
    instrument = latest_instrument("sipas-2021").instrument
    for factor in instrument.factors:
        if factor.code.startswith("CS") or factor.code == "GD":
            for criterion in factor.criteria:
                page.check(f"input[name={criterion.code}][value='4']")
    page.get_by_role("button", name="Gửi phiếu").click()
    page.wait_for_url(f"{live_server.url}/khao-sat/cam-on/")
    stored = Response.objects.get()
    assert stored.answers["CSA1"] == 4 and stored.answers["GD5"] == 4 and "A1" not in stored.answers
    assert stored.answers["F0"] == 2
