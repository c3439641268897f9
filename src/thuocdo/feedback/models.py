"""Citizen feedback (phản ánh, kiến nghị): submissions, their history, routing rules, attachments.

The state machine and the deadline rules live in thuocdo.core.feedback; these tables store a
submission's current state, its denormalised deadlines (so "at risk" and "overdue" are index scans)
and an append-only history of every event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from thuocdo.core.feedback import Category, Event, State


class FeedbackCategory(models.Model):
    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200, blank=True)
    description = models.CharField(_("mô tả"), max_length=500, blank=True)
    classification = models.CharField(
        _("phân loại (chỉ số 5.1)"),
        max_length=12,
        choices=[
            (Category.REGULATION.value, _("Quy định, thủ tục hành chính")),
            (Category.CONDUCT.value, _("Hành vi, thái độ của cán bộ")),
            (Category.OTHER.value, _("Khác")),
        ],
        default=Category.OTHER.value,
    )
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("lĩnh vực phản ánh")
        verbose_name_plural = _("lĩnh vực phản ánh")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Send a category (optionally within an administrative unit's subtree) to an agency; the most specific wins."""

    category = models.ForeignKey(FeedbackCategory, null=True, blank=True, on_delete=models.CASCADE)
    admin_unit = models.ForeignKey(
        "units.AdminUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("quy tắc chuyển xử lý")
        verbose_name_plural = _("quy tắc chuyển xử lý")

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.admin_unit or '*'} → {self.agency}"


class Submission(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Cổng thông tin")
        COUNTER = "counter", _("Tại bộ phận một cửa")
        HOTLINE = "hotline", _("Đường dây nóng")
        EMAIL = "email", _("Thư điện tử")
        OPEN311 = "open311", _("Ứng dụng (Open311)")
        SERVICE_RECOVERY = "service_recovery", _("Từ đánh giá hồ sơ không hài lòng")

    tracking_code = models.CharField(_("mã tra cứu"), max_length=20, unique=True)
    title = models.CharField(_("tiêu đề"), max_length=200)
    body = models.TextField(_("nội dung"))
    category = models.ForeignKey(FeedbackCategory, on_delete=models.PROTECT, verbose_name=_("lĩnh vực"))
    admin_unit = models.ForeignKey(
        "units.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("địa bàn"),
    )
    agency = models.ForeignKey(
        "units.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
        verbose_name=_("cơ quan xử lý"),
    )
    procedure = models.ForeignKey(
        "catalog.Procedure",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("thủ tục"),
    )
    dossier_code = models.CharField(_("số hồ sơ"), max_length=60, blank=True, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    channel = models.CharField(_("kênh"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    # Contact is optional and never published; anonymous submissions have none.
    contact_name = models.CharField(_("họ tên"), max_length=150, blank=True)
    contact_phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    contact_email = models.EmailField(_("thư điện tử"), blank=True)
    state = models.CharField(
        _("trạng thái"),
        max_length=24,
        choices=[(s.value, s.value) for s in State],
        default=State.RECEIVED.value,
        db_index=True,
    )
    submitted_at = models.DateTimeField(_("thời điểm gửi"), db_index=True)
    clock_started_at = models.DateTimeField()
    refuse_by = models.DateTimeField()
    request_info_by = models.DateTimeField()
    handle_by = models.DateTimeField(db_index=True)
    publish_by = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("trả lời (bản nội bộ)"), blank=True)
    answer_public = models.TextField(_("trả lời công khai (đã che thông tin cá nhân)"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    likes = models.PositiveIntegerField(default=0)
    dislikes = models.PositiveIntegerField(default=0)
    reraised = models.BooleanField(_("bị phản ánh lại"), default=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_spam = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, db_index=True)
    contact_hash = models.CharField(max_length=64, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    open311_client = models.ForeignKey("Open311Client", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["agency", "state"], name="feedback_agency_state"),
            # The 5.x tallies and the dashboard select by agency and submission date.
            models.Index(fields=["agency", "submitted_at"], name="feedback_agency_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"


class SubmissionEvent(models.Model):
    """One step of a submission's history; never edited."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=20, choices=[(e.value, e.value) for e in Event])
    at = models.DateTimeField()
    from_state = models.CharField(max_length=24)
    to_state = models.CharField(max_length=24)
    from_agency = models.ForeignKey(
        "units.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_agency = models.ForeignKey(
        "units.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event} {self.at:%Y-%m-%d %H:%M}"


class LateSpan(models.Model):
    """A stretch of time during which 766 indicator 5.2 judges the submission not on time.

    Derived from the history by `core.feedback.late_spans` on the current agency's calendar, and
    rewritten by the services at every change, so "late as of T" is `starts_at <= T < ends_at` and the
    5.x tallies are aggregate queries instead of replaying every history (docs/feedback.md).
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="late_spans")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)  # null: still late, whatever comes later

    class Meta:
        indexes = [
            models.Index(fields=["submission", "starts_at"], name="feedback_latespan_sub_start"),
            # The monthly cells count the spans ending in `as_of`'s own month row by row.
            models.Index(fields=["ends_at"], name="feedback_latespan_ends"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.starts_at:%Y-%m-%d %H:%M} → {self.ends_at or '…'}"


class MonthlyCell(models.Model):
    """The 5.x counts of one agency's submissions first received in one month, stored in advance.

    Two kinds of row (`core.feedback.monthly_cells`): per category, the counted submissions and those
    unsatisfied whatever their timeliness; per `at_month`, the late spans that start in that month minus
    those that end in it. Classification is read from the category at query time, so reclassifying a
    category needs no rewrite. Rebuilt per (agency, month) by every service that changes a submission
    (docs/feedback.md).
    """

    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # first day of the month received, Vietnam time
    category = models.ForeignKey(FeedbackCategory, null=True, blank=True, on_delete=models.CASCADE)
    at_month = models.DateField(null=True, blank=True)
    total = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    late_satisfied = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["agency", "month"], name="feedback_cell_agency_month")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.month:%m/%Y} {self.category_id or self.at_month}"


class LateDayCell(models.Model):
    """The late rows of `MonthlyCell` by day instead of month, read only for `as_of`'s own month.

    With them only the spans that start or end on `as_of`'s own day are counted row by row.
    """

    agency = models.ForeignKey("units.Agency", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # first day of the month received, Vietnam time
    at_day = models.DateField()
    late = models.IntegerField(default=0)
    late_satisfied = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "month"], name="feedback_daycell_agency_month"),
            models.Index(fields=["at_day"], name="feedback_daycell_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.month:%m/%Y} {self.at_day}"


class Attachment(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="feedback/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.original_name


class Open311Client(models.Model):
    """A third-party civic app allowed to file reports through Open311 GeoReport v2."""

    name = models.CharField(max_length=150)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
