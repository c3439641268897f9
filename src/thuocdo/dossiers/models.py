"""Dossiers (hồ sơ TTHC) as one-stop systems sync them to the national portal, and their ingestion.

One `Dossier` row per MaHoSo holds the columns the 766 indicators and the survey sampling frames
need; the document as it was received stays in `raw` so any figure can be explained and any row
rebuilt. Rows are written in bulk by services.ingest_documents (never one `save()` at a time):
a row changes only when a document with a higher (version, content_hash) arrives, so repeating
or reordering deliveries cannot change the outcome.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceSystem(models.Model):
    """A one-stop system allowed to send dossiers; it authenticates with an API key we store only hashed."""

    name = models.CharField(_("tên hệ thống"), max_length=80, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("đầu khóa"), max_length=12, editable=False)
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("hệ thống nguồn")
        verbose_name_plural = _("hệ thống nguồn")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Channel(models.IntegerChoices):
    DIRECT = 1, _("Trực tiếp")
    ONLINE = 2, _("Trực tuyến")
    POSTAL = 3, _("Bưu chính công ích")


class Status(models.IntegerChoices):
    SUBMITTED = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung giấy tờ")
    AWAITING_PAYMENT = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    FINISHED = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Trễ hạn")
    OPEN = "open", _("Đang giải quyết")
    NOT_COUNTED = "not_counted", _("Không tính")


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True)
    # Fewer indexes make bulk ingestion faster; reads go through code, agency_code and the dates.
    source = models.ForeignKey(
        SourceSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("hệ thống nguồn"),
        db_index=False,
    )
    procedure_code = models.CharField(_("mã thủ tục"), max_length=40)
    procedure = models.ForeignKey(
        "catalog.Procedure",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
        verbose_name=_("thủ tục"),
        db_constraint=False,
        db_index=False,
    )
    field_code = models.CharField(_("mã lĩnh vực"), max_length=40, blank=True)
    # Unknown agency codes are kept (and reported) rather than refused: the agency list may lag the one-stop system.
    agency_code = models.CharField(_("mã đơn vị xử lý"), max_length=60)
    agency = models.ForeignKey(
        "units.Agency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
        verbose_name=_("đơn vị xử lý"),
        db_constraint=False,
        db_index=False,
    )
    channel = models.PositiveSmallIntegerField(_("kênh thực hiện"), choices=Channel.choices)
    status = models.PositiveSmallIntegerField(_("trạng thái"), choices=Status.choices)
    status_at = models.DateTimeField(_("trạng thái tính đến"))
    received_at = models.DateTimeField(_("ngày tiếp nhận"))
    due_at = models.DateTimeField(_("ngày hẹn trả"), null=True, blank=True)
    # The first promised date survives an apology letter (Phiếu xin lỗi) that sets a new one.
    original_due_at = models.DateTimeField(_("ngày hẹn trả ban đầu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("ngày kết thúc xử lý"), null=True, blank=True)
    returned_at = models.DateTimeField(_("ngày trả kết quả"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    supplement_wait_s = models.BigIntegerField(_("thời gian chờ bổ sung (giây)"), default=0)
    online_payment = models.PositiveSmallIntegerField(_("thanh toán trực tuyến"), default=0)
    fee_vnd = models.BigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    has_e_result = models.BooleanField(_("có kết quả điện tử"), default=False)
    digitised = models.BooleanField(_("có thành phần số hóa"), default=False)
    reused = models.BooleanField(_("tái sử dụng dữ liệu số hóa"), default=False)
    from_personal_store = models.BooleanField(_("lấy từ kho dữ liệu cá nhân"), default=False)
    vneid = models.BooleanField(_("xác thực VNeID"), default=False)
    population_db = models.BooleanField(_("dùng CSDL quốc gia về dân cư"), default=False)
    timeliness = models.CharField(_("tiến độ"), max_length=12, choices=Timeliness.choices)
    # Ordering key of deliveries: the document's own update time as yyyyMMddHHmmss, ties broken by content hash.
    version = models.BigIntegerField(_("phiên bản"))
    content_hash = models.CharField(max_length=32)
    raw = models.TextField(_("tài liệu gốc (JSON)"))
    updated_at = models.DateTimeField(_("cập nhật lúc"))

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            models.Index(fields=["agency_code", "received_at"], name="dossier_agency_received"),
            models.Index(fields=["received_at"], name="dossier_received"),
            models.Index(fields=["status", "finished_at"], name="dossier_status_finished"),
        ]

    def __str__(self) -> str:
        return self.code


class DossierStep(models.Model):
    """One processing step (QuaTrinhXuLy): who handled the dossier, by when it was due, and when it was done."""

    # The unique (dossier, seq) constraint already indexes dossier_id first.
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps", db_index=False)
    seq = models.PositiveSmallIntegerField(_("thứ tự"))
    officer = models.CharField(_("người xử lý"), max_length=150, blank=True)
    title = models.CharField(_("chức danh"), max_length=150, blank=True)
    department = models.CharField(_("phòng ban xử lý"), max_length=200, blank=True)
    status = models.PositiveSmallIntegerField(_("trạng thái"), null=True, blank=True)
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn xử lý bước"), null=True, blank=True)
    acted_at = models.DateTimeField(_("thời điểm xử lý"), null=True, blank=True)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("quá trình xử lý")
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="dossier_step_unique_seq")]
        indexes = [models.Index(fields=["officer", "acted_at"], name="dossier_step_officer")]
        ordering = ["dossier", "seq"]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.officer}"


class DossierEvent(models.Model):
    """A finer status change ({MaHoSo, TrangThai, ThoiDiem}); kept so it re-applies over any later-arriving document."""

    dossier_code = models.CharField(_("mã hồ sơ"), max_length=60)
    status = models.PositiveSmallIntegerField(_("trạng thái"), choices=Status.choices)
    at = models.DateTimeField(_("thời điểm"))
    source = models.ForeignKey(
        SourceSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raw = models.TextField(_("sự kiện gốc (JSON)"))
    received_at = models.DateTimeField(_("nhận lúc"))

    class Meta:
        verbose_name = _("sự kiện hồ sơ")
        verbose_name_plural = _("sự kiện hồ sơ")
        constraints = [
            models.UniqueConstraint(fields=["dossier_code", "at", "status"], name="dossier_event_unique"),
        ]
        ordering = ["dossier_code", "at"]

    def __str__(self) -> str:
        return f"{self.dossier_code} → {self.status} @ {self.at:%Y-%m-%d %H:%M}"


class DossierTally(models.Model):
    """Counts per agency, procedure and month of receipt, kept current with every accepted delivery."""

    agency_code = models.CharField(max_length=60)
    procedure_code = models.CharField(max_length=40)
    month = models.DateField(_("tháng tiếp nhận"))
    received = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    postal = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    early = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    not_counted = models.IntegerField(default=0)
    online_paid = models.IntegerField(default=0)
    fee_bearing = models.IntegerField(default=0)
    e_result = models.IntegerField(default=0)
    digitised = models.IntegerField(default=0)
    reused = models.IntegerField(default=0)
    personal_store = models.IntegerField(default=0)
    population_data = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp hồ sơ")
        verbose_name_plural = _("số liệu tổng hợp hồ sơ")
        constraints = [
            models.UniqueConstraint(
                fields=["agency_code", "procedure_code", "month"], name="dossier_tally_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.procedure_code} {self.month:%Y-%m}"


class Quarantine(models.Model):
    """A record that could not be stored, with every error naming the record and field, until fixed and replayed."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Hồ sơ")
        EVENT = "event", _("Sự kiện")

    class State(models.TextChoices):
        OPEN = "open", _("Chờ xử lý")
        FIXED = "fixed", _("Đã sửa, chờ nạp lại")
        REPLAYED = "replayed", _("Đã nạp lại")
        DISCARDED = "discarded", _("Đã loại bỏ")

    source = models.ForeignKey(
        SourceSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quarantined",
        verbose_name=_("hệ thống nguồn"),
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.DOCUMENT)
    batch = models.CharField(_("lô"), max_length=120, db_index=True)
    location = models.CharField(_("vị trí"), max_length=200, help_text=_("tệp và dòng, hoặc chỉ số trong lô"))
    record = models.CharField(_("bản ghi"), max_length=120, blank=True, help_text=_("mã hồ sơ nếu đọc được"))
    raw = models.TextField(_("bản ghi gốc (JSON)"))
    errors = models.JSONField(_("lỗi"), default=list)
    state = models.CharField(
        _("tình trạng"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("bản ghi bị cách ly")
        verbose_name_plural = _("bản ghi bị cách ly")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.location} {self.record}"


class ApologyLetter(models.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả: a new promised date, the original kept on the dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="apology_letters")
    agency = models.ForeignKey(
        "units.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan"),
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    seq = models.PositiveIntegerField(_("số thứ tự trong năm"))
    number = models.CharField(_("số phiếu"), max_length=80)
    reason = models.TextField(_("lý do chậm trả kết quả"))
    previous_due_at = models.DateTimeField(_("ngày hẹn trả trước đó"), null=True, blank=True)
    new_due_at = models.DateTimeField(_("ngày hẹn trả mới"))
    applicant = models.CharField(_("người nộp hồ sơ"), max_length=200, blank=True)
    signer_title = models.CharField(_("chức vụ người ký"), max_length=150)
    signer_name = models.CharField(_("họ tên người ký"), max_length=150)
    issued_at = models.DateTimeField(_("thời điểm ban hành"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    notified = models.BooleanField(_("đã gửi cho người dân"), default=False)

    class Meta:
        verbose_name = _("phiếu xin lỗi và hẹn lại ngày trả kết quả")
        verbose_name_plural = _("phiếu xin lỗi và hẹn lại ngày trả kết quả")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "seq"], name="apology_letter_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.dossier.code})"
