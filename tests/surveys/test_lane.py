"""The submission lane answers survey submissions before the page middleware, with the same results."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from thuocdo.surveys import services
from thuocdo.surveys.models import Invitation, Response
from thuocdo.surveys.openrosa import form_version
from thuocdo.surveys.selectors import FrameEntry

from .conftest import full_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["lane", "full-stack"])
def lane(request, settings):
    """Every test runs through the lane and through the full stack: a user sees no difference."""
    settings.THUOCDO = {**settings.THUOCDO, "SUBMISSION_LANE": request.param}
    return request.param


def tokens(campaign, n: int = 10) -> list[str]:
    frame = [FrameEntry(f"D{i}", "S.TP" if i % 2 else "X.BMT", "Cơ quan") for i in range(n)]
    services.draw_sample(campaign=campaign, frame=frame, actor="test", seed=3)
    return [services.invitation_token(i) for i in Invitation.objects.filter(campaign=campaign).order_by("id")]


def test_a_stored_answer_redirects_to_the_thank_you_page(client, campaign, lane):
    url = reverse("surveys:invitation", args=[tokens(campaign)[0]])
    sent = client.post(url, full_sheet(5))
    assert sent.status_code == 302 and sent["Location"] == reverse("surveys:thanks")
    assert sent["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in sent["Content-Security-Policy"]
    assert Response.objects.get().answers["A1"] == 5
    again = client.post(url, full_sheet(5))
    assert again.status_code == 200 and "đã được gửi" in again.content.decode()
    assert Response.objects.count() == 1


def test_invalid_answers_show_the_form_again_with_the_error(client, campaign, lane):
    url = reverse("surveys:invitation", args=[tokens(campaign)[0]])
    sheet = {**full_sheet(4), "A2": "9"}
    page = client.post(url, sheet)
    assert page.status_code == 422
    html = page.content.decode()
    assert "<form" in html and 'name="csrfmiddlewaretoken"' in html and "A2" in html
    assert Response.objects.count() == 0 and not Invitation.objects.filter(used=True).exists()
    assert client.post(url, full_sheet(4)).status_code == 302


def test_the_form_token_is_required(campaign, lane):
    """CSRF: a post without the form's token is refused and stores nothing; with it, it is stored."""
    browser = Client(enforce_csrf_checks=True)
    url = reverse("surveys:invitation", args=[tokens(campaign)[0]])
    assert browser.post(url, full_sheet(4)).status_code == 403
    assert Response.objects.count() == 0
    form = browser.get(url)
    token = form.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    sent = browser.post(url, {**full_sheet(4), "csrfmiddlewaretoken": token})
    assert sent.status_code == 302 and Response.objects.count() == 1


def test_unknown_tokens_and_other_pages_still_answer_as_pages(client, campaign, lane):
    assert client.post("/khao-sat/khong-co-ma-nay/", full_sheet(4)).status_code == 404
    assert client.post(reverse("surveys:thanks")).status_code == 200
    assert Response.objects.count() == 0


def test_openrosa_through_the_lane(client, campaign, lane):
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    body = "".join(f"<{c}>{v}</{c}>" for c, v in full_sheet(4).items())
    xml = (
        f'<data id="{campaign.slug}" version="{form_version(campaign)}"><stratum>S.TP</stratum>{body}'
        f"<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()
    url = f"/openrosa/key/{key}/submission"
    head = client.head(url, HTTP_X_OPENROSA_VERSION="1.0")
    assert head.status_code == 204 and head["X-OpenRosa-Version"] == "1.0"
    for expected in (201, 202):
        sent = client.post(url, {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")})
        assert sent.status_code == expected and "<OpenRosaResponse" in sent.content.decode()
    assert Response.objects.count() == 1
    wrong = client.post(url.replace(key, "sai"), {"xml_submission_file": SimpleUploadedFile("s.xml", xml)})
    assert wrong.status_code == 404 and Response.objects.count() == 1


def test_the_lane_answers_before_the_page_middleware(client, campaign, settings):
    settings.THUOCDO = {**settings.THUOCDO, "SUBMISSION_LANE": True}
    sent = client.post(reverse("surveys:invitation", args=[tokens(campaign)[0]]), full_sheet(4))
    # The page stack would add its nonce policy and a language cookie vary; the lane's policy allows nothing.
    assert sent.status_code == 302 and sent["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_page_in_english_before_does_not_change_the_thank_you_address(client, campaign, lane):
    """The worker's thread keeps the last request's language; an unprefixed submission is Vietnamese."""
    invitation = tokens(campaign)
    assert client.get("/en/khao-sat/cam-on/").status_code == 200
    sent = client.post(f"/khao-sat/{invitation[0]}/", full_sheet(4))
    assert sent.status_code == 302 and sent["Location"] == "/khao-sat/cam-on/"
    # The English form's submission thanks in English.
    sent = client.post(f"/en/khao-sat/{invitation[1]}/", full_sheet(4))
    assert sent.status_code == 302 and sent["Location"] == "/en/khao-sat/cam-on/"
