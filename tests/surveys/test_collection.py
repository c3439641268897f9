"""Campaigns, sampling, one-time invitations, the web form and the open link, as a citizen or official sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.audit.models import AuditEntry
from thuocdo.surveys import selectors, services
from thuocdo.surveys.models import Campaign, Invitation, Response
from thuocdo.surveys.selectors import FrameEntry

from .conftest import TODAY, full_sheet, make_user

pytestmark = pytest.mark.django_db


def frame(n_a: int = 300, n_b: int = 120) -> list[FrameEntry]:
    return [FrameEntry(f"A{i:04d}", "S.TP", "Sở Tư pháp") for i in range(n_a)] + [
        FrameEntry(f"B{i:04d}", "X.BMT", "UBND phường Buôn Ma Thuột", phone="0912345678") for i in range(n_b)
    ]


def test_draw_sizes_allocates_records_seed_and_is_reproducible(campaign, world):
    draw = services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=42)
    # Cochran e=5%, deff 1.5, rr 0.8, N=420 → more than Yamane's 205 and never above N
    assert 205 < draw.sample_size <= 420
    assert sum(draw.allocation.values()) == draw.sample_size == draw.invitations
    assert draw.allocation["S.TP"] > draw.allocation["X.BMT"]
    entry = AuditEntry.objects.get(action="surveys.campaign.draw_sample")
    assert entry.data["seed"] == 42
    chosen = set(Invitation.objects.values_list("reference", flat=True))
    other = services.create_campaign(
        slug="lap-lai", name="Lặp lại", instrument=campaign.instrument, starts_on=campaign.starts_on,
        ends_on=campaign.ends_on, actor="test",
    )  # fmt: skip
    services.draw_sample(campaign=other, frame=list(reversed(frame())), actor="test", seed=42)
    assert set(other.invitations.values_list("reference", flat=True)) == chosen
    with pytest.raises(services.SurveyError, match="đã chọn mẫu"):
        services.draw_sample(campaign=campaign, frame=frame(), actor="test")


def test_invitation_rows_do_not_follow_the_frame(campaign):
    """With the recorded seed anyone can redraw which dossiers were chosen, but not which invitation row
    went to which dossier: the rows are created in an order of their own."""
    services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=42)
    by_id = list(Invitation.objects.order_by("id").values_list("reference", flat=True))
    assert by_id != sorted(by_id)  # the frame's order (A0000…, B0000…); equal by chance once in n!


def test_an_answered_invitation_keeps_no_delivery_data(client, campaign):
    """The row written with the answer holds nothing about the person (its dossier code and phone are
    erased as it is used); the others keep theirs for printing and reminders."""
    services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=7)
    invitations = list(Invitation.objects.filter(stratum__code="X.BMT").order_by("id")[:2])
    by_link = client.post(
        reverse("surveys:invitation", args=[services.invitation_token(invitations[0])]), full_sheet()
    )
    assert by_link.status_code == 302
    services.submit_response(
        campaign=campaign, channel="paper", raw=full_sheet(), today=TODAY,
        token=services.invitation_token(invitations[1]),
    )  # fmt: skip
    used = Invitation.objects.filter(used=True)
    assert used.count() == 2 and set(used.values_list("reference", "contact")) == {("", "")}
    unused = Invitation.objects.filter(used=False, stratum__code="X.BMT")
    assert (
        unused.exists()
        and not unused.filter(contact="").exists()
        and not unused.filter(reference="").exists()
    )


def test_yamane_campaign(world):
    c = services.create_campaign(
        slug="y", name="Y", instrument=world["instruments"]["sipas-2017"], starts_on=TODAY, ends_on=TODAY,
        actor="test", size_method="yamane",
    )  # fmt: skip
    assert services.draw_sample(campaign=c, frame=frame(), actor="test", seed=1).sample_size == 205


def test_invitation_token_is_one_time_and_stored_only_hashed(client, campaign):
    services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=7)
    invitation = Invitation.objects.select_related("stratum").first()
    token = services.invitation_token(invitation)
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    url = reverse("surveys:invitation", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Rất hài lòng" in page.content.decode() and "Phần 1/" in page.content.decode()
    sent = client.post(url, full_sheet(5))
    assert sent.status_code == 302
    response = Response.objects.get()
    assert response.stratum == invitation.stratum.code and response.channel == "web"
    assert not hasattr(response, "created_at")  # a date, never a time of day
    again = client.post(url, full_sheet(1))
    assert "đã được gửi" in again.content.decode()
    assert Response.objects.count() == 1
    assert client.get(reverse("surveys:invitation", args=["khong-co-ma"])).status_code == 404


def test_form_errors_name_the_question_and_nothing_is_stored(client, campaign):
    services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=7)
    token = services.invitation_token(Invitation.objects.first())
    page = client.post(reverse("surveys:invitation", args=[token]), {"A1": "9", "F1": "2"})
    assert page.status_code == 422
    assert "không thuộc thang đo" in page.content.decode()
    assert not Response.objects.exists() and not Invitation.objects.filter(used=True).exists()


def test_feedback_criteria_only_kept_when_feedback_was_given(campaign):
    sheet = {**full_sheet(4), "E1": "5"}
    r = services.submit_response(campaign=campaign, channel="open", raw=sheet, today=TODAY, stratum="S.TP")
    assert "E1" not in r.answers and r.answers["A1"] == 4


def test_open_link_needs_a_stratum_and_is_rate_limited(client, campaign, settings):
    url = reverse("surveys:open", args=[campaign.slug])
    assert client.post(url, full_sheet()).status_code == 422
    for _ in range(services.OPEN_LINK_PER_HOUR):
        assert client.post(url, {**full_sheet(), "stratum": "S.TP"}).status_code == 302
    assert client.post(url, {**full_sheet(), "stratum": "S.TP"}).status_code == 429
    assert Response.objects.count() == services.OPEN_LINK_PER_HOUR


def test_closed_campaign_refuses_and_erases_delivery_data(client, campaign):
    services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=7)
    token = services.invitation_token(Invitation.objects.first())
    services.set_campaign_status(campaign=campaign, status=Campaign.Status.CLOSED, actor="test")
    assert not Invitation.objects.exclude(reference="").exists()
    assert not Invitation.objects.exclude(contact="").exists()
    assert "không còn nhận phiếu" in client.get(reverse("surveys:invitation", args=[token])).content.decode()


def test_reminders_go_only_to_unanswered_phones_at_most_twice(campaign, settings):
    settings.THUOCDO_SMS_SENDER = "tests.surveys.test_collection.capture_sms"
    CAPTURED.clear()
    services.draw_sample(campaign=campaign, frame=frame(), actor="test", seed=3)
    with_phone = Invitation.objects.exclude(contact="").count()
    assert (
        services.send_reminders(campaign=campaign, today=TODAY, base_url="https://td.example") == with_phone
    )
    assert services.send_reminders(campaign=campaign, today=TODAY, base_url="https://td.example") == 0
    assert "https://td.example/khao-sat/" in CAPTURED[0][1]


CAPTURED: list[tuple[str, str]] = []


def capture_sms(phone: str, text: str) -> None:
    CAPTURED.append((phone, text))


def test_frame_upload_errors_name_the_row(world):
    import io

    from thuocdo.shared.tabular import ImportFailed, read_table

    data = io.BytesIO(b"ma,tang,dien_thoai\nA1,S.TP,0912\nA1,S.TP,\n,X.BMT,abc\n")
    with pytest.raises(ImportFailed) as info:
        services.frame_from_table(read_table(data, name="khung.csv"))
    text = str(info.value)
    assert "khung.csv, dòng 3" in text and "bị trùng" in text and "dòng 4" in text and "dien_thoai" in text


def test_staff_results_are_aggregates_suppressed_below_k(client, campaign, world):
    for i in range(12):
        services.submit_response(
            campaign=campaign, channel="open", raw=full_sheet(4 + i % 2), today=TODAY, stratum="S.TP"
        )
    for _ in range(3):
        services.submit_response(
            campaign=campaign, channel="open", raw=full_sheet(1), today=TODAY, stratum="X.BMT"
        )
    head = make_user("truong", "agency_head", agency=world["agencies"]["X.BMT"])
    client.force_login(head)
    page = client.get(reverse("surveys:campaign", args=[campaign.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Sở Tư pháp" in html and "100,0%" in html
    # 3 answers from the ward: its row shows n and a dash, never a figure an official could trace back
    row = html.split("UBND phường Buôn Ma Thuột</th>")[1].split("</tr>")[0]
    assert "%" not in row and "—" in row
    assert "phieu.csv" not in html  # no individual answers for the evaluated agency's head
    assert client.get(reverse("surveys:microdata", args=[campaign.slug])).status_code == 404


def test_flag_policy_is_audited_and_changes_estimates(campaign):
    for _ in range(6):
        services.submit_response(
            campaign=campaign, channel="open", raw=full_sheet(5), today=TODAY, stratum="S.TP", seconds=3
        )
    for _ in range(6):
        services.submit_response(
            campaign=campaign, channel="open", raw={**full_sheet(2), "A1": "3"}, today=TODAY, stratum="S.TP"
        )
    assert selectors.flag_counts(campaign) == {"speeder": 6, "straight_line": 6}
    services.set_excluded_flags(campaign=campaign, flags=["speeder"], actor="test", reason="đọc quá nhanh")
    est, _problem = selectors.campaign_results(campaign)
    assert est.all.n == 6 and est.all.overall.estimate == 0.0
    assert AuditEntry.objects.filter(
        action="surveys.campaign.excluded_flags", data__reason="đọc quá nhanh"
    ).exists()
    assert Response.objects.count() == 12  # flagged responses are kept


def test_api_results_are_aggregates(campaign, world):
    from ninja.testing import TestClient

    from thuocdo.surveys.api import router

    for _ in range(6):
        services.submit_response(
            campaign=campaign, channel="open", raw=full_sheet(4), today=TODAY, stratum="S.TP"
        )
    services.submit_response(
        campaign=campaign, channel="open", raw=full_sheet(1), today=TODAY, stratum="X.BMT"
    )
    official = make_user("phan-tich", "analyst", unit=world["province"])
    body = TestClient(router).get(f"/campaigns/{campaign.slug}/results", user=official).json()
    assert body["all"]["n"] == 7 and body["strata"]["S.TP"]["overall"]["estimate"] == 100.0
    assert (
        body["strata"]["X.BMT"]["suppressed"] is True
        and body["strata"]["X.BMT"]["overall"]["estimate"] is None
    )
    assert "answers" not in str(body)
    stranger = make_user("nguoi-ngoai")
    assert TestClient(router).get(f"/campaigns/{campaign.slug}/results", user=stranger).status_code == 404
