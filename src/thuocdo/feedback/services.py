"""Writes for citizen feedback: submit, route, transition, answer, publish, rate, re-raise, escalate.

Every function takes the current time as `now` (the edge passes timezone.now()), so deadline logic is
testable; transactions are the caller's.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.db.models import Q

from thuocdo.audit.services import record_change
from thuocdo.core import feedback as rules
from thuocdo.core.redaction import redact
from thuocdo.core.text import fold
from thuocdo.feedback import notify
from thuocdo.feedback.models import (
    Attachment,
    FeedbackCategory,
    LateDayCell,
    LateSpan,
    MonthlyCell,
    Open311Client,
    RoutingRule,
    Submission,
    SubmissionEvent,
)
from thuocdo.feedback.ner import person_spans
from thuocdo.feedback.selectors import at_risk, month_bounds, timeline_of

# Operational limits (not regulated figures): the edge may override them.
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_CONTENT_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
DUPLICATE_WINDOW = timedelta(hours=24)
RATE_WINDOW = timedelta(hours=1)
RATE_LIMIT_PER_CONTACT = 5
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud on the phone


class FeedbackError(ValueError):
    """Bad input, with the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class RateLimited(FeedbackError):
    pass


@dataclass(frozen=True)
class NewSubmission:
    title: str
    body: str
    category: FeedbackCategory
    channel: str = Submission.Channel.WEB
    admin_unit: Any = None
    agency: Any = None
    procedure: Any = None
    dossier_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    attachments: Sequence[UploadedFile] = ()
    open311_client: Open311Client | None = None


def working_days_for(agency: Any) -> Callable[[datetime, int], datetime]:
    """The agency's working-day arithmetic (its office hours on the official calendar)."""
    from thuocdo.calendars.selectors import work_calendar

    calendar = work_calendar(agency)
    return calendar.add_working_days


def submit_feedback(*, data: NewSubmission, now: datetime) -> Submission:
    """Accept a submission: validate, detect duplicates and floods, route, set deadlines, store attachments."""
    title = data.title.strip()
    body = data.body.strip()
    if not title:
        raise FeedbackError("title", "Vui lòng nhập tiêu đề.")
    if len(body) < 10:
        raise FeedbackError("body", "Nội dung phản ánh quá ngắn (ít nhất 10 ký tự).")
    if not data.category.is_active:
        raise FeedbackError("category", "Lĩnh vực không còn tiếp nhận phản ánh.")
    _check_attachments(data.attachments)
    if (data.latitude is None) != (data.longitude is None):
        raise FeedbackError("location", "Cần cả vĩ độ và kinh độ.")

    content_hash = hashlib.sha256(fold(f"{title}\n{body}").encode()).hexdigest()
    contact = _normalise_contact(data.contact_phone, data.contact_email)
    contact_hash = hashlib.sha256(contact.encode()).hexdigest() if contact else ""
    if contact_hash:
        recent = Submission.objects.filter(
            contact_hash=contact_hash, submitted_at__gte=now - RATE_WINDOW
        ).count()
        if recent >= RATE_LIMIT_PER_CONTACT:
            raise RateLimited("contact", "Bạn đã gửi quá nhiều phản ánh trong một giờ; vui lòng thử lại sau.")
    duplicate_of = (
        Submission.objects.filter(content_hash=content_hash, submitted_at__gte=now - DUPLICATE_WINDOW)
        .order_by("submitted_at")
        .first()
    )

    agency = data.agency or route_submission(category=data.category, admin_unit=data.admin_unit)
    add_days = working_days_for(agency)
    due = rules.deadlines(rules.Timeline(now), rules.FeedbackRules(), add_days)
    submission = Submission.objects.create(
        tracking_code=_new_tracking_code(now),
        title=title[:200],
        body=body,
        category=data.category,
        admin_unit=data.admin_unit or (agency.admin_unit if agency else None),
        agency=agency,
        procedure=data.procedure,
        dossier_code=data.dossier_code.strip(),
        latitude=data.latitude,
        longitude=data.longitude,
        channel=data.channel,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(),
        contact_email=data.contact_email.strip(),
        submitted_at=now,
        clock_started_at=now,
        refuse_by=due.refuse_by,
        request_info_by=due.request_info_by,
        handle_by=due.handle_by,
        content_hash=content_hash,
        contact_hash=contact_hash,
        duplicate_of=duplicate_of,
        open311_client=data.open311_client,
    )
    _store_late_spans(submission, add_days)
    refresh_monthly_cells(keys=cell_keys(submission))
    for upload in data.attachments:
        Attachment.objects.create(
            submission=submission,
            file=upload,
            original_name=upload.name or "tep",
            content_type=upload.content_type or "",
            size=upload.size or 0,
        )
    notify.notify_received(submission)
    return submission


def route_submission(*, category: FeedbackCategory, admin_unit: Any) -> Any:
    """The responsible agency: the most specific routing rule for the category within the unit's subtree."""
    candidates = RoutingRule.objects.select_related("agency", "admin_unit").filter(
        Q(category=category) | Q(category__isnull=True)
    )
    best = None
    best_rank = (-1, -1)
    for rule in candidates:
        if rule.admin_unit is not None and (
            admin_unit is None or not admin_unit.path.startswith(rule.admin_unit.path)
        ):
            continue
        rank = (1 if rule.category_id else 0, len(rule.admin_unit.path) if rule.admin_unit else 0)
        if rank > best_rank:
            best, best_rank = rule.agency, rank
    return best


def transition_submission(
    *,
    submission: Submission,
    event: rules.Event,
    now: datetime,
    actor: Any = None,
    note: str = "",
    to_agency: Any = None,
    answer: str | None = None,
    answer_public: str | None = None,
) -> Submission:
    """Apply one event of the state machine, record it in the history and keep deadlines current."""
    from_state = rules.State(submission.state)
    to_state = rules.next_state(from_state, event)
    from_agency = submission.agency
    if event is rules.Event.TRANSFER:
        if to_agency is None:
            raise FeedbackError("to_agency", "Chọn cơ quan nhận chuyển.")
        if from_agency is not None and to_agency.pk == from_agency.pk:
            raise FeedbackError("to_agency", "Cơ quan nhận chuyển trùng với cơ quan đang xử lý.")
        submission.agency = to_agency
        submission.clock_started_at = now
    if event is rules.Event.ANSWER:
        text = (answer or "").strip()
        if not text:
            raise FeedbackError("answer", "Nhập nội dung trả lời.")
        submission.answer = text
        # The public version starts as an automatic redaction; a reviewer edits it before publication.
        submission.answer_public = redact(text, person_spans(text))
        submission.answered_at = now
    if event is rules.Event.PUBLISH:
        if answer_public is not None:
            submission.answer_public = answer_public.strip()
        if not submission.answer_public:
            raise FeedbackError("answer_public", "Bản trả lời công khai đang trống.")
        submission.published_at = now
    if event is rules.Event.RERAISE:
        submission.reraised = True
    submission.state = to_state.value
    submission.publish_by = (
        working_days_for(submission.agency)(submission.answered_at, rules.FeedbackRules().publish_days)
        if submission.answered_at and to_state is rules.State.AWAITING_PUBLICATION
        else submission.publish_by
    )
    if event is rules.Event.TRANSFER:
        submission.handle_by = working_days_for(submission.agency)(now, rules.FeedbackRules().handle_days)
    submission.save()
    SubmissionEvent.objects.create(
        submission=submission,
        event=event.value,
        at=now,
        from_state=from_state.value,
        to_state=to_state.value,
        from_agency=from_agency,
        to_agency=submission.agency if event is rules.Event.TRANSFER else None,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
    )
    _store_late_spans(submission, working_days_for(submission.agency))
    refresh_monthly_cells(keys=cell_keys(submission, from_agency))
    if event is rules.Event.PUBLISH:
        notify.notify_published(submission)
        record_change(
            actor=actor,
            action="feedback.publish",
            obj=submission,
            data={"tracking_code": submission.tracking_code, "answer_public": submission.answer_public},
        )
    return submission


def _store_late_spans(submission: Submission, add_days: Callable[[datetime, int], datetime]) -> None:
    # Rewritten whole: a transfer changes the calendar and the clock, so earlier spans may all move.
    events = SubmissionEvent.objects.filter(submission=submission).order_by("at", "id")
    timeline = rules.Timeline(
        submission.submitted_at,
        tuple(rules.Step(rules.Event(e.event), e.at, rules.State(e.to_state)) for e in events),
    )
    spans = rules.late_spans(timeline, rules=rules.FeedbackRules(), add_working_days=add_days)
    LateSpan.objects.filter(submission=submission).delete()
    LateSpan.objects.bulk_create(
        LateSpan(submission=submission, starts_at=lo, ends_at=hi) for lo, hi in spans
    )


def refresh_late_spans(*, submissions: Iterable[Submission] | None = None, batch: int = 2000) -> int:
    """Recompute the stored late spans (766 indicator 5.2) from the histories; all submissions by default.

    Needed after the holiday table or an agency's office hours change, which move every deadline.
    Returns the number of submissions refreshed.
    """
    ids = (
        list(Submission.objects.order_by("pk").values_list("pk", flat=True))
        if submissions is None
        else [s.pk for s in submissions]
    )
    feedback_rules = rules.FeedbackRules()
    calendars: dict[Any, Callable[[datetime, int], datetime]] = {}
    for i in range(0, len(ids), batch):
        chunk = ids[i : i + batch]
        fresh: list[LateSpan] = []
        for s in Submission.objects.filter(pk__in=chunk).select_related("agency").prefetch_related("events"):
            if s.agency_id not in calendars:
                calendars[s.agency_id] = working_days_for(s.agency)
            spans = rules.late_spans(
                timeline_of(s), rules=feedback_rules, add_working_days=calendars[s.agency_id]
            )
            fresh.extend(LateSpan(submission_id=s.pk, starts_at=lo, ends_at=hi) for lo, hi in spans)
        LateSpan.objects.filter(submission_id__in=chunk).delete()
        LateSpan.objects.bulk_create(fresh, batch_size=1000)
    if submissions is None:
        refresh_monthly_cells()
    else:
        refresh_monthly_cells(keys={k for s in Submission.objects.filter(pk__in=ids) for k in cell_keys(s)})
    return len(ids)


CellKeys = set[tuple[int, date]]


def cell_keys(submission: Submission, *agencies: Any) -> CellKeys:
    """The (agency, month received) cells a change to the submission touches: its agency's and any former one's."""
    month = rules.month_of(submission.submitted_at, ZoneInfo(settings.TIME_ZONE))
    ids = {submission.agency_id, *(getattr(a, "pk", a) for a in agencies)}
    return {(pk, month) for pk in ids if pk is not None}


def refresh_monthly_cells(*, keys: CellKeys | None = None) -> int:
    """Rebuild the monthly 5.x cells of the given (agency, month) pairs from the submissions; all by default.

    Every service that changes a submission's counting (new, transition, rating, spam, duplicate,
    late spans) calls it for the cells it touched; a rebuild rather than an increment, so a cell is
    always exactly what its submissions say. The agencies' rows are locked first so that concurrent
    changes to one agency's cells rebuild one after another, each seeing the other's result.
    Returns the number of cells written.
    """
    from thuocdo.units.models import Agency

    if keys is not None and not keys:
        return 0
    tz = ZoneInfo(settings.TIME_ZONE)
    counted = Submission.objects.filter(duplicate_of__isnull=True, is_spam=False, agency__isnull=False)
    stale = Q()
    if keys is not None:
        if connection.in_atomic_block:
            list(Agency.objects.select_for_update().filter(pk__in={a for a, _ in keys}).order_by("pk"))
        by_month: dict[date, set[int]] = {}
        for agency_id, month in keys:
            by_month.setdefault(month, set()).add(agency_id)
        where, stale = Q(pk__in=[]), Q(pk__in=[])
        for month, ids in by_month.items():
            lo, hi = month_bounds(month)
            where |= Q(agency_id__in=ids, submitted_at__gte=lo, submitted_at__lt=hi)
            stale |= Q(agency_id__in=ids, month=month)
        counted = counted.filter(where)
    rows = list(
        counted.values_list("pk", "agency_id", "category_id", "submitted_at", "likes", "dislikes", "reraised")
    )
    spans = LateSpan.objects.values_list("submission_id", "starts_at", "ends_at")
    if keys is not None:
        spans = spans.filter(submission_id__in=[r[0] for r in rows])
    cells = rules.monthly_cells((rules.CountedSubmission(*r) for r in rows), spans.iterator(), tz)
    MonthlyCell.objects.filter(stale).delete()
    LateDayCell.objects.filter(stale).delete()
    MonthlyCell.objects.bulk_create(
        (
            MonthlyCell(agency_id=a, month=m, category_id=c, at_month=at, total=n.total,
                        unsatisfied=n.unsatisfied, late=n.late, late_satisfied=n.late_satisfied)
            for (a, m, c, at, day), n in cells.items()
            if day is None
        ),
        batch_size=5000,
    )  # fmt: skip
    LateDayCell.objects.bulk_create(
        (
            LateDayCell(agency_id=a, month=m, at_day=day, late=n.late, late_satisfied=n.late_satisfied)
            for (a, m, _, _, day), n in cells.items()
            if day is not None
        ),
        batch_size=5000,
    )
    return len(cells)


def mark_spam(*, submission: Submission, is_spam: bool = True, actor: Any = None) -> Submission:
    """Staff judge a submission spam (or not): the 766 indicators leave spam out."""
    submission.is_spam = is_spam
    submission.save(update_fields=["is_spam"])
    refresh_monthly_cells(keys=cell_keys(submission))
    record_change(
        actor=actor, action="feedback.spam", obj=submission,
        data={"tracking_code": submission.tracking_code, "is_spam": is_spam},
    )  # fmt: skip
    return submission


def mark_duplicate(*, submission: Submission, of: Submission | None, actor: Any = None) -> Submission:
    """Staff mark a submission a duplicate of an earlier one (or not, with None): duplicates are not counted."""
    if of is not None and of.pk == submission.pk:
        raise FeedbackError("duplicate_of", "Phản ánh không thể trùng với chính nó.")
    submission.duplicate_of = of
    submission.save(update_fields=["duplicate_of"])
    refresh_monthly_cells(keys=cell_keys(submission))
    record_change(
        actor=actor, action="feedback.duplicate", obj=submission,
        data={"tracking_code": submission.tracking_code, "duplicate_of": of.tracking_code if of else ""},
    )  # fmt: skip
    return submission


def rate_answer(*, submission: Submission, liked: bool) -> Submission:
    """A citizen's like or dislike of a published answer."""
    if submission.state not in (rules.State.PUBLISHED, rules.State.CLOSED):
        raise FeedbackError("rating", "Chỉ đánh giá được câu trả lời đã công khai.")
    field = "likes" if liked else "dislikes"
    setattr(submission, field, getattr(submission, field) + 1)
    submission.save(update_fields=[field])
    refresh_monthly_cells(keys=cell_keys(submission))
    return submission


def reraise_submission(*, submission: Submission, reason: str, now: datetime) -> Submission:
    """The citizen is not satisfied with the answer: reopen on the appeal path."""
    if len(reason.strip()) < 10:
        raise FeedbackError("reason", "Vui lòng nêu lý do chưa hài lòng (ít nhất 10 ký tự).")
    return transition_submission(
        submission=submission, event=rules.Event.RERAISE, now=now, note=reason.strip()
    )


def _normalise_contact(phone: str, email: str) -> str:
    # "+84 912 345 678", "0912.345.678" and "0912345678" are the same person for flood detection.
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits or email.strip().lower()


def _check_attachments(files: Sequence[UploadedFile]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise FeedbackError("attachments", f"Tối đa {MAX_ATTACHMENTS} tệp đính kèm.")
    for upload in files:
        if (upload.content_type or "") not in ALLOWED_CONTENT_TYPES:
            raise FeedbackError(
                "attachments",
                f"Tệp «{upload.name}» không đúng định dạng (chỉ nhận ảnh JPG, PNG, WEBP hoặc PDF).",
            )
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            raise FeedbackError(
                "attachments", f"Tệp «{upload.name}» lớn hơn {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."
            )
        head = upload.read(8)
        upload.seek(0)
        if not _magic_matches(upload.content_type or "", head):
            raise FeedbackError(
                "attachments", f"Nội dung tệp «{upload.name}» không khớp với định dạng khai báo."
            )


def _magic_matches(content_type: str, head: bytes) -> bool:
    signatures = {
        "image/jpeg": (b"\xff\xd8\xff",),
        "image/png": (b"\x89PNG\r\n\x1a\n",),
        "image/webp": (b"RIFF",),
        "application/pdf": (b"%PDF",),
    }
    return any(head.startswith(sig) for sig in signatures.get(content_type, ()))


def _new_tracking_code(now: datetime) -> str:
    for _ in range(10):
        code = f"PA{now:%y%m}-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if not Submission.objects.filter(tracking_code=code).exists():
            return code
    raise RuntimeError("could not allocate a tracking code")


def escalate_at_risk(*, now: datetime, horizon: timedelta = timedelta(days=2)) -> int:
    """E-mail each agency's heads about open submissions nearing their deadline; each submission once."""
    from thuocdo.accounts.selectors import assignments_at_agency

    by_agency: dict[Any, list[Submission]] = {}
    for submission in at_risk(now=now, horizon=horizon):
        by_agency.setdefault(submission.agency, []).append(submission)
    sent = 0
    for agency, items in by_agency.items():
        heads = (
            [
                a.user.email
                for a in assignments_at_agency(agency).select_related("user")
                if a.role == "agency_head" and a.user.email
            ]
            if agency is not None
            else []
        )
        lines = "\n".join(f"- {s.tracking_code} «{s.title}», hạn {s.handle_by:%d/%m/%Y %H:%M}" for s in items)
        notify.notify_heads(
            heads,
            subject=f"{len(items)} phản ánh sắp đến hạn xử lý",
            text=f"Các phản ánh sau của {agency} sắp hoặc đã quá hạn xử lý:\n{lines}",
        )
        Submission.objects.filter(pk__in=[s.pk for s in items]).update(escalated_at=now)
        sent += len(items)
    return sent


def issue_open311_key(*, name: str, actor: Any = None) -> tuple[Open311Client, str]:
    """Create a client and return it with its raw key, which is stored only as a hash."""
    raw = secrets.token_urlsafe(24)
    client = Open311Client.objects.create(name=name, key_hash=hashlib.sha256(raw.encode()).hexdigest())
    record_change(actor=actor, action="feedback.open311_key.issue", obj=client)
    return client, raw


SERVICE_RECOVERY_CATEGORY = "thu-tuc"


def open_service_recovery_case(
    *,
    dossier_code: str,
    agency: Any,
    rating_label: str,
    comment: str,
    now: datetime,
    contact_phone: str = "",
    contact_email: str = "",
) -> Submission:
    """A dislike or a 1-2 rating on a dossier opens a case for the agency that handled it (once per dossier)."""
    existing = Submission.objects.filter(
        dossier_code=dossier_code, channel=Submission.Channel.SERVICE_RECOVERY
    ).first()
    if existing is not None:
        return existing
    category = (
        FeedbackCategory.objects.filter(code=SERVICE_RECOVERY_CATEGORY).first()
        or FeedbackCategory.objects.filter(is_active=True).order_by("order").first()
    )
    if category is None:
        raise FeedbackError("category", "Chưa cấu hình lĩnh vực phản ánh nào.")
    body = f"Người dân đánh giá hồ sơ {dossier_code}: {rating_label}."
    if comment.strip():
        body += f"\nÝ kiến: {comment.strip()}"
    return submit_feedback(
        data=NewSubmission(
            title=f"Đánh giá không hài lòng hồ sơ {dossier_code}",
            body=body,
            category=category,
            channel=Submission.Channel.SERVICE_RECOVERY,
            agency=agency,
            dossier_code=dossier_code,
            contact_phone=contact_phone,
            contact_email=contact_email,
        ),
        now=now,
    )
