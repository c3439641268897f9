"""Counter kiosk, per-dossier ratings with service recovery, paper entry with double keying, XLSForm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from thuocdo.dossiers.models import Dossier
from thuocdo.feedback.models import FeedbackCategory, Submission
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, DossierRating, InstrumentVersion, PaperSheet, Response
from thuocdo.surveys.xlsform import XLSFormError, document_from_xlsform, instrument_workbook, workbook_bytes

from .conftest import NOW, TODAY, full_sheet, make_user

pytestmark = pytest.mark.django_db


def dossier(code, agency, *, returned=True):
    return Dossier.objects.create(
        code=code, procedure_code="1.001", agency_code=agency.code, agency=agency, channel=1, status=10 if returned else 4,
        status_at=NOW, received_at=NOW - timedelta(days=5), finished_at=NOW - timedelta(days=1) if returned else None,
        returned_at=NOW - timedelta(hours=2) if returned else None, timeliness="on_time", version=1, content_hash="x",
        raw="{}", updated_at=NOW,
    )  # fmt: skip


@pytest.fixture
def counter(world):
    c = services.create_campaign(
        slug="tai-quay", name="Đánh giá tại quầy", instrument=world["instruments"]["counter-faces"],
        starts_on=TODAY, ends_on=TODAY + timedelta(days=365), actor="test",
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    return c


def test_kiosk_tap_is_anonymous_then_resets(client, world, counter):
    _kiosk, key = services.create_kiosk(
        agency=world["agencies"]["S.TP"], counter="Quầy 3", campaign=counter, actor="test"
    )
    page = client.get(reverse("surveys:kiosk", args=[key]))
    assert page.status_code == 200 and "Rất hài lòng" in page.content.decode()
    done = client.post(reverse("surveys:kiosk", args=[key]), {"value": "5", "dossier_code": ""})
    assert 'http-equiv="refresh"' in done.content.decode()
    r = Response.objects.get()
    assert (r.channel, r.counter, r.stratum, r.answers) == ("kiosk", "Quầy 3", "S.TP", {"R1": 5})
    assert client.get(reverse("surveys:kiosk", args=["khong-co"])).status_code == 404


def test_kiosk_bursts_are_flagged(world, counter):
    kiosk, _key = services.create_kiosk(
        agency=world["agencies"]["S.TP"], counter="Quầy 1", campaign=counter, actor="test"
    )
    for _ in range(services.KIOSK_BURST_PER_MINUTE + 2):
        services.submit_kiosk(kiosk=kiosk, value="5", dossier_code="", today=TODAY, now=NOW)
    assert sum("burst" in r.flags for r in Response.objects.all()) == 2


def test_kiosk_with_scanned_receipt_rates_the_dossier(client, world, counter):
    d = dossier("H66-0001", world["agencies"]["S.TP"])
    _kiosk, key = services.create_kiosk(
        agency=world["agencies"]["S.TP"], counter="Quầy 2", campaign=counter, actor="test"
    )
    client.post(reverse("surveys:kiosk", args=[key]), {"value": "4", "dossier_code": d.code})
    rating = DossierRating.objects.get()
    assert (
        rating.dossier == d
        and rating.channel == "kiosk"
        and rating.satisfied
        and not Response.objects.exists()
    )
    again = client.post(reverse("surveys:kiosk", args=[key]), {"value": "1", "dossier_code": d.code})
    assert "đã được đánh giá" in again.content.decode() and DossierRating.objects.count() == 1


def test_poor_rating_opens_recovery_case_sharing_words_only_with_consent(client, world):
    FeedbackCategory.objects.create(code="thu-tuc", name="Thủ tục hành chính", classification="regulation")
    quiet = dossier("H66-0002", world["agencies"]["S.TP"])
    client.post(
        reverse("surveys:rate", args=[quiet.code]),
        {"form": "faces", "R1": "1", "comment": "Chờ quá lâu", "contact_phone": "0912000111"},
    )
    case = Submission.objects.get(dossier_code=quiet.code)
    assert "Chờ quá lâu" not in case.body and case.agency == world["agencies"]["S.TP"]
    assert DossierRating.objects.get(dossier_code=quiet.code).recovery_code == case.tracking_code
    open_ = dossier("H66-0003", world["agencies"]["S.TP"])
    client.post(
        reverse("surveys:rate", args=[open_.code]),
        {"form": "faces", "R1": "2", "comment": "Chờ quá lâu", "consent": "on"},
    )
    assert "Chờ quá lâu" in Submission.objects.get(dossier_code=open_.code).body
    happy = dossier("H66-0004", world["agencies"]["S.TP"])
    client.post(reverse("surveys:rate", args=[happy.code]), {"form": "faces", "R1": "5"})
    assert not Submission.objects.filter(dossier_code=happy.code).exists()


def test_tt01_form_needs_all_nine_and_flags_rating_before_result(client, world):
    d = dossier("H66-0005", world["agencies"]["X.BMT"], returned=False)
    url = reverse("surveys:rate", args=[d.code])
    assert "Thông tư 01/2018" in client.get(url).content.decode()
    partial = client.post(url, {"form": "tt01", "K1": "2"})
    assert partial.status_code == 422 and "Vui lòng chọn" in partial.content.decode()
    client.post(url, {"form": "tt01", **{f"K{i}": "2" for i in range(1, 9)}, "K9": "1"})
    rating = DossierRating.objects.get()
    assert rating.score == 17 and rating.satisfied and rating.flags == ["before_result"]
    assert client.get(reverse("surveys:rate", args=["KHONG-CO"])).status_code == 404


def test_ratings_page_hides_comment_without_consent(client, world):
    d1, d2 = dossier("H66-0010", world["agencies"]["S.TP"]), dossier("H66-0011", world["agencies"]["S.TP"])
    services.rate_dossier(
        dossier_code=d1.code,
        form="faces",
        raw={"R1": "4"},
        now=NOW,
        comment="Ý kiến riêng tư",
        contact_phone="0900000001",
    )
    services.rate_dossier(
        dossier_code=d2.code,
        form="faces",
        raw={"R1": "4"},
        now=NOW,
        comment="Ý kiến công khai",
        consent_share=True,
    )
    client.force_login(make_user("can-bo", "officer", agency=world["agencies"]["S.TP"]))
    html = client.get(reverse("surveys:ratings")).content.decode()
    assert "Ý kiến công khai" in html and "Ý kiến riêng tư" not in html and "0900000001" not in html


def test_paper_double_keying_flags_disagreement_then_resolves(client, world):
    c = services.create_campaign(
        slug="giay", name="Phiếu giấy", instrument=world["instruments"]["sipas-2017"], starts_on=TODAY, ends_on=TODAY,
        agencies=[world["agencies"]["S.TP"]], actor="test", double_keying=True,
    )  # fmt: skip
    services.set_campaign_status(campaign=c, status=Campaign.Status.OPEN, actor="test")
    first, second = (
        make_user("nhap1", "counter_staff", agency=world["agencies"]["S.TP"]),
        make_user("nhap2", "counter_staff", agency=world["agencies"]["S.TP"]),
    )
    url = reverse("surveys:paper", args=[c.slug])
    client.force_login(first)
    client.post(url, {"batch": "L01", "sheet_no": "1", "stratum": "S.TP", **full_sheet(4)})
    assert PaperSheet.objects.get().status == "keyed_once" and not Response.objects.exists()
    same_person = client.post(
        url, {"batch": "L01", "sheet_no": "1", "stratum": "S.TP", **full_sheet(4)}, follow=True
    )
    assert "người khác" in same_person.content.decode()
    client.force_login(second)
    client.post(url, {"batch": "L01", "sheet_no": "1", "stratum": "S.TP", **{**full_sheet(4), "B2": "5"}})
    sheet = PaperSheet.objects.get()
    assert sheet.status == "conflict" and sheet.disagreements == ["B2"] and not Response.objects.exists()
    client.post(url, {"resolve": sheet.pk, **full_sheet(4)})
    sheet.refresh_from_db()
    assert sheet.status == "committed" and sheet.first_answers == {} and sheet.second_answers == {}
    assert Response.objects.get().channel == "paper"


def test_single_keying_commits_at_once(world, campaign):
    user = make_user("nhap", "counter_staff", agency=world["agencies"]["S.TP"])
    services.key_paper_sheet(
        campaign=campaign, batch="L1", sheet_no=3, stratum="S.TP", raw=full_sheet(5), user=user, today=TODAY
    )
    with pytest.raises(services.Duplicate):
        services.key_paper_sheet(
            campaign=campaign,
            batch="L1",
            sheet_no=3,
            stratum="S.TP",
            raw=full_sheet(5),
            user=user,
            today=TODAY,
        )
    assert Response.objects.count() == 1


def test_xlsform_round_trip_import_publish_and_immutability(client, world):
    sipas = world["instruments"]["sipas-2017"].instrument
    book = instrument_workbook(sipas)
    book["settings"][0].update(form_id="sipas-tinh", version="3")
    admin = make_user("qt", superuser=True)
    client.force_login(admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(
        reverse("surveys:instruments"), {"file": SimpleUploadedFile("sipas.xlsx", workbook_bytes(book))}
    )
    assert page.status_code == 302
    row = InstrumentVersion.objects.get(code="sipas-tinh")
    assert row.status == "draft" and [c.code for c in row.instrument.criteria] == [
        c.code for c in sipas.criteria
    ]
    services.publish_instrument(instrument=row, actor=admin)
    again = client.post(
        reverse("surveys:instruments"), {"file": SimpleUploadedFile("sipas.xlsx", workbook_bytes(book))}
    )
    assert "đã ban hành" in again.content.decode()
    download = client.get(reverse("surveys:instrument_xlsform", args=[row.pk]))
    assert download.status_code == 200 and download.content[:2] == b"PK"


def test_malformed_xlsform_errors_name_sheet_row_and_column(world):
    book = instrument_workbook(world["instruments"]["sipas-2017"].instrument)
    book["survey"][5]["type"] = "select_one khong_co_danh_sach"
    with pytest.raises(XLSFormError) as info:
        document_from_xlsform(workbook_bytes(book), today=TODAY)
    assert "trang «survey», dòng 7" in str(info.value)
    book = instrument_workbook(world["instruments"]["sipas-2017"].instrument)
    book["settings"][0]["version"] = "một"
    book["survey"][8]["relevant"] = "${F1} > 1"
    with pytest.raises(XLSFormError) as info:
        document_from_xlsform(workbook_bytes(book), today=TODAY)
    text = str(info.value)
    assert (
        "trang «settings», dòng 2, cột «version»" in text
        and "trang «survey», dòng 10, cột «relevant»" in text
    )
    with pytest.raises(XLSFormError, match="không đọc được"):
        document_from_xlsform(b"not a workbook", today=TODAY)
