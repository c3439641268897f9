"""Apology letters (Phiếu xin lỗi và hẹn lại ngày trả kết quả) for late or at-risk dossiers.

Issuing a letter records a new promised date without touching the dossier's synced dates: the original
promised date stays, and the 766 timeliness keeps using the rule set's definition (a rescheduled dossier
that ends after its original date is still late). The letter renders as PDF and DOCX in the layout of
Decree 30/2020/NĐ-CP and, where the applicant left an e-mail address, is sent to them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.mail import EmailMessage
from django.db.models import Max
from django.utils import timezone

from thuocdo.audit.services import record_change
from thuocdo.dossiers.models import ApologyLetter, Dossier, Status
from thuocdo.dossiers.signals import dossiers_stored
from thuocdo.shared.documents import AdminDocument, render_docx, render_pdf

logger = logging.getLogger(__name__)
CLOSED = {Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.FINISHED, Status.RETURNED}


class ApologyError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Applicant:
    name: str
    email: str
    phone: str


def applicant_of(dossier: Dossier) -> Applicant:
    """The applicant as the one-stop system synced them (ChuHoSo, Email, SoDienThoai)."""
    try:
        doc = json.loads(dossier.raw)
    except (TypeError, ValueError):
        doc = {}
    return Applicant(
        name=str(doc.get("ChuHoSo") or ""),
        email=str(doc.get("Email") or ""),
        phone=str(doc.get("SoDienThoai") or ""),
    )


def current_promise(dossier: Dossier) -> datetime | None:
    """The date the applicant was last promised: the latest letter's new date, else the synced one."""
    latest = dossier.apology_letters.order_by("-issued_at").first()
    return latest.new_due_at if latest else dossier.due_at


def issue_apology_letter(
    *,
    dossier: Dossier,
    reason: str,
    new_due_at: datetime,
    signer_title: str,
    signer_name: str,
    actor: Any,
    now: datetime,
) -> ApologyLetter:
    """Number, record and audit a letter; the caller's transaction commits it."""
    if dossier.status in CLOSED:
        raise ApologyError("dossier", "Hồ sơ đã kết thúc xử lý; không lập phiếu xin lỗi.")
    if len(reason.strip()) < 10:
        raise ApologyError("reason", "Nêu rõ lý do chậm trả kết quả (ít nhất 10 ký tự).")
    if new_due_at <= now:
        raise ApologyError("new_due_at", "Ngày hẹn trả mới phải sau thời điểm hiện tại.")
    previous = current_promise(dossier)
    if previous is not None and new_due_at <= previous:
        raise ApologyError(
            "new_due_at",
            f"Ngày hẹn trả mới phải sau ngày đã hẹn ({timezone.localtime(previous):%d/%m/%Y %H:%M}).",
        )
    if not signer_title.strip() or not signer_name.strip():
        raise ApologyError("signer_name", "Nhập chức vụ và họ tên người ký.")
    year = timezone.localtime(now).year
    seq = (
        ApologyLetter.objects.filter(agency_id=dossier.agency_id, year=year).aggregate(m=Max("seq"))["m"] or 0
    ) + 1
    short = (dossier.agency.short_name or dossier.agency.code) if dossier.agency else dossier.agency_code
    letter = ApologyLetter.objects.create(
        dossier=dossier,
        agency_id=dossier.agency_id,
        year=year,
        seq=seq,
        number=f"Số: {seq:02d}/PXL-{short}",
        reason=reason.strip(),
        previous_due_at=previous,
        new_due_at=new_due_at,
        applicant=applicant_of(dossier).name,
        signer_title=signer_title.strip(),
        signer_name=signer_name.strip(),
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    # The index keeps judging by the first promise (766 rule 12), but it hears of every change to a dossier.
    dossiers_stored.send(sender=Dossier, codes=[dossier.code], documents=None, sources=None)
    record_change(
        actor=actor,
        action="dossiers.apology_letter.issue",
        obj=letter,
        data={
            "dossier": dossier.code,
            "previous_due_at": previous,
            "new_due_at": new_due_at,
            "reason": letter.reason,
        },
    )
    return letter


def letter_document(letter: ApologyLetter) -> AdminDocument:
    """The letter as an administrative document."""
    dossier = letter.dossier
    agency = letter.agency
    parent = agency.parent.name if agency and agency.parent else ""
    place = _place_of(agency)
    applicant = letter.applicant or "Ông/Bà"
    previous = timezone.localtime(letter.previous_due_at) if letter.previous_due_at else None
    new = timezone.localtime(letter.new_due_at)
    received = timezone.localtime(dossier.received_at)
    procedure = dossier.procedure.name if dossier.procedure else dossier.procedure_code
    return AdminDocument(
        parent_issuer=parent,
        issuer=agency.name if agency else dossier.agency_code,
        number=letter.number,
        place=place,
        issued_on=timezone.localtime(letter.issued_at).date(),
        title="Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        addressee=f"Kính gửi: {applicant}",
        facts=(
            ("Mã hồ sơ", dossier.code),
            ("Thủ tục", procedure),
            ("Ngày tiếp nhận", f"{received:%H giờ %M, ngày %d/%m/%Y}"),
            ("Ngày hẹn trả kết quả", f"{previous:%H giờ %M, ngày %d/%m/%Y}" if previous else "—"),
        ),
        paragraphs=(
            f"{agency.name if agency else 'Cơ quan'} đã tiếp nhận và giải quyết hồ sơ nêu trên. "
            f"Tuy nhiên, đến nay chưa trả kết quả đúng hẹn cho {applicant} với lý do: {letter.reason}",
            f"Sự chậm trễ này đã gây phiền hà cho {applicant}. Chúng tôi thành thật xin lỗi và hẹn trả kết quả "
            f"vào lúc {new:%H giờ %M, ngày %d/%m/%Y}.",
            "Rất mong nhận được sự thông cảm của Quý Ông/Bà.",
        ),
        signer_title=letter.signer_title,
        signer_name=letter.signer_name,
        recipients=(applicant, "Lưu: VT, hồ sơ"),
    )


def letter_pdf(letter: ApologyLetter) -> bytes:
    return render_pdf(letter_document(letter))


def letter_docx(letter: ApologyLetter) -> bytes:
    return render_docx(letter_document(letter))


def send_letter(letter: ApologyLetter) -> bool:
    """E-mail the PDF to the applicant, if they left an address; returns whether it was sent."""
    applicant = applicant_of(letter.dossier)
    if not applicant.email:
        return False
    message = EmailMessage(
        subject=f"Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ {letter.dossier.code}",
        body=(
            f"Kính gửi {applicant.name or 'Ông/Bà'},\n\nHồ sơ {letter.dossier.code} chưa được trả kết quả đúng hẹn. "
            f"Ngày hẹn trả mới: {timezone.localtime(letter.new_due_at):%d/%m/%Y %H:%M}. Phiếu xin lỗi đính kèm."
        ),
        to=[applicant.email],
    )
    message.attach(f"phieu-xin-loi-{letter.dossier.code}.pdf", letter_pdf(letter), "application/pdf")
    try:
        message.send()
    except OSError:  # a mail outage must not lose the letter; it can be resent
        logger.exception("could not e-mail apology letter %s", letter.pk)
        return False
    ApologyLetter.objects.filter(pk=letter.pk).update(notified=True)
    return True


def _place_of(agency: Any) -> str:
    unit = getattr(agency, "admin_unit", None)
    if unit is None:
        return "Hà Nội"
    name = unit.short_name or unit.name if hasattr(unit, "short_name") else unit.name
    for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name
