"""Apology letters: a new promised date on record, the original kept, a Decree 30 document, scoped access."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.dossiers.factories import document, ingest
from thuocdo.accounts.models import RoleAssignment, User
from thuocdo.audit.models import AuditEntry
from thuocdo.dossiers import apology
from thuocdo.dossiers.models import ApologyLetter, Dossier
from thuocdo.units.models import AdminUnit, Agency

ICT = timezone.get_fixed_timezone(7 * 60)
pytestmark = pytest.mark.django_db


@pytest.fixture
def open_dossier():
    province = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    province.path = f"/{province.pk}/"
    province.save()
    agency = Agency.objects.create(
        code="H15.01", name="Sở Tư pháp", short_name="STP", kind="department", admin_unit=province
    )
    agency.path = f"/{agency.pk}/"
    agency.save()
    other = Agency.objects.create(code="H15.02", name="Sở Xây dựng", kind="department", admin_unit=province)
    other.path = f"/{other.pk}/"
    other.save()
    ingest(
        document(
            "H15.01-251020-0007",
            TrangThaiHoSo=4,
            NgayKetThucXuLy=None,
            NgayTra=None,
            NgayHenTra="20251024170000",
            NgayCapNhat="20251021090000",
            ChuHoSo="Nguyễn Văn Bình",
            Email="binh@example.vn",
            NgayTiepNhan="20251020080000",
        )
    )
    return Dossier.objects.get(code="H15.01-251020-0007"), agency, other


NOW = datetime(2025, 10, 23, 10, 0, tzinfo=ICT)


def issue(dossier, **kw):
    args = {
        "dossier": dossier,
        "reason": "Cần xác minh thông tin với cơ quan liên quan.",
        "new_due_at": datetime(2025, 10, 30, 16, 0, tzinfo=ICT),
        "signer_title": "Giám đốc",
        "signer_name": "Trần Thị Hoa",
        "actor": "test",
        "now": NOW,
    }
    args.update(kw)
    return apology.issue_apology_letter(**args)


def test_a_letter_records_a_new_date_and_keeps_the_original(open_dossier):
    dossier, _, _ = open_dossier
    original = dossier.due_at
    letter = issue(dossier)
    dossier.refresh_from_db()
    assert dossier.due_at == original  # the synced promise is untouched
    assert letter.previous_due_at == original
    assert apology.current_promise(dossier) == letter.new_due_at
    assert letter.number == "Số: 01/PXL-STP" and letter.applicant == "Nguyễn Văn Bình"
    assert AuditEntry.objects.filter(action="dossiers.apology_letter.issue").count() == 1
    second = issue(dossier, new_due_at=datetime(2025, 11, 5, 16, 0, tzinfo=ICT))
    assert second.number == "Số: 02/PXL-STP" and second.previous_due_at == letter.new_due_at


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "chậm"}, "reason"),
        ({"new_due_at": NOW - timedelta(hours=1)}, "new_due_at"),
        (
            {"new_due_at": datetime(2025, 10, 24, 9, 0, tzinfo=ICT)},
            "new_due_at",
        ),  # before the current promise
        ({"signer_name": " "}, "signer_name"),
    ],
)
def test_bad_letters_are_refused_naming_the_field(open_dossier, changes, field):
    dossier, _, _ = open_dossier
    with pytest.raises(apology.ApologyError) as caught:
        issue(dossier, **changes)
    assert caught.value.field == field
    assert ApologyLetter.objects.count() == 0


def test_a_finished_dossier_gets_no_letter(open_dossier):
    dossier, _, _ = open_dossier
    Dossier.objects.filter(pk=dossier.pk).update(status=10)
    dossier.refresh_from_db()
    with pytest.raises(apology.ApologyError, match="kết thúc"):
        issue(dossier)


def test_the_letter_is_a_decree_30_document_in_pdf_and_word(open_dossier):
    from docx import Document

    dossier, _, _ = open_dossier
    letter = issue(dossier)
    doc = apology.letter_document(letter)
    assert doc.title == "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    assert any("16 giờ 00, ngày 30/10/2025" in p for p in doc.paragraphs)
    assert ("Mã hồ sơ", "H15.01-251020-0007") in doc.facts
    assert apology.letter_pdf(letter).startswith(b"%PDF")
    word = Document(io.BytesIO(apology.letter_docx(letter)))
    assert any("Cần xác minh" in p.text for p in word.paragraphs)


def test_the_applicant_receives_the_letter_by_email(open_dossier, mailoutbox):
    dossier, _, _ = open_dossier
    letter = issue(dossier)
    assert apology.send_letter(letter)
    assert mailoutbox[0].to == ["binh@example.vn"]
    assert mailoutbox[0].attachments[0][2] == "application/pdf"
    letter.refresh_from_db()
    assert letter.notified


def _head_of(agency):
    user = User.objects.create_user(
        f"head-{agency.code}", password="x" * 12, first_name="Hoa", last_name="Trần"
    )
    RoleAssignment.objects.create(user=user, role="agency_head", agency=agency)
    return user


def test_an_agency_head_issues_a_letter_from_the_dossier_page(open_dossier, client):
    dossier, agency, _ = open_dossier
    client.force_login(_head_of(agency))
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Lập phiếu xin lỗi" in page
    assert "Quyết định 766" in page  # the dossier explains how the index judges it
    response = client.post(
        f"/ho-so/{dossier.code}/xin-loi/",
        {
            "reason": "Cần xác minh thông tin đất đai.",
            "new_due_at": "2099-10-30T16:00",
            "signer_title": "Giám đốc",
            "signer_name": "Trần Thị Hoa",
        },
    )
    assert response.status_code == 302
    letter = ApologyLetter.objects.get()
    pdf = client.get(f"/ho-so/phieu-xin-loi/{letter.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_another_agency_cannot_see_the_dossier_or_its_letters(open_dossier, client):
    dossier, _, other = open_dossier
    letter = issue(dossier)
    client.force_login(_head_of(other))
    assert client.get(f"/ho-so/{dossier.code}/").status_code == 404
    assert client.get(f"/ho-so/{dossier.code}/xin-loi/").status_code == 404
    assert client.get(f"/ho-so/phieu-xin-loi/{letter.pk}.pdf").status_code == 404
