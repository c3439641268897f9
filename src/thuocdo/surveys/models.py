"""Survey collection: instrument versions, campaigns, invitations, anonymous responses, per-dossier ratings.

Anonymity is a property of the schema, not of a policy: `Response` has no column or relation that could
identify an invitation, a token, a dossier, a person, an IP address or a device. Its primary key is a
random UUID (insertion order links nothing) and it keeps the submission DATE only. Duplicate guards
(one response per token, instanceID or scanned dossier) live in tables that never point to a response.
tests/surveys/test_anonymity.py walks every model of the project to keep it that way.

A per-dossier rating (`DossierRating`) is deliberately different: like the national portal's rating, it
belongs to its dossier (indicator 5.4 and service recovery need that).
"""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from thuocdo.core.instruments import Instrument


# Parsing and hashing a 20 KB document costs milliseconds; a (key, content hash) pair never changes meaning.
_PARSED: dict[tuple[str, str], Instrument] = {}


class InstrumentVersion(models.Model):
    """One version of a questionnaire, stored as the validated JSON document; immutable once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        PUBLISHED = "published", _("Đã ban hành")
        RETIRED = "retired", _("Ngừng sử dụng")

    class Origin(models.TextChoices):
        BUILTIN = "builtin", _("Có sẵn")
        XLSFORM = "xlsform", _("Nhập từ XLSForm")

    code = models.CharField(_("mã"), max_length=40)
    version = models.PositiveIntegerField(_("phiên bản"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("tên"), max_length=300)
    effective_from = models.DateField(_("hiệu lực từ"))
    document = models.JSONField(_("nội dung (JSON)"))
    content_hash = models.CharField(_("mã băm nội dung"), max_length=80)
    origin = models.CharField(_("nguồn"), max_length=10, choices=Origin.choices, default=Origin.BUILTIN)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản phiếu khảo sát")
        verbose_name_plural = _("phiên bản phiếu khảo sát")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version")]
        ordering = ["code", "-version"]

    def __str__(self) -> str:
        return f"{self.code}@{self.version}"

    @property
    def key(self) -> str:
        """`code@version`."""
        return f"{self.code}@{self.version}"

    @cached_property
    def instrument(self) -> Instrument:
        """The parsed, validated instrument (parsed once per process and content hash)."""
        from thuocdo.core.instruments import parse_instrument

        memo = (self.key, self.content_hash)
        parsed = _PARSED.get(memo)
        if parsed is None:
            parsed = parse_instrument(self.document, source=self.key)
            _PARSED[memo] = parsed
        return parsed


class Campaign(models.Model):
    """A survey round: scope, period, instrument, sampling design and the channels it accepts."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang chuẩn bị")
        OPEN = "open", _("Đang thu phiếu")
        CLOSED = "closed", _("Đã kết thúc")

    class SizeMethod(models.TextChoices):
        YAMANE = "yamane", _("Yamane")
        COCHRAN = "cochran", _("Cochran (có hệ số thiết kế)")

    class StratifyBy(models.TextChoices):
        AGENCY = "agency", _("Theo cơ quan")
        BLOCK = "block", _("Theo khối cơ quan")

    slug = models.SlugField(_("mã đợt"), max_length=60, unique=True)
    name = models.CharField(_("tên đợt khảo sát"), max_length=200)
    instrument = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("phiếu")
    )
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    starts_on = models.DateField(_("từ ngày"))
    ends_on = models.DateField(_("đến ngày"))
    agencies = models.ManyToManyField(
        "units.Agency", blank=True, related_name="survey_campaigns", verbose_name=_("cơ quan được đánh giá")
    )
    procedure_codes = models.JSONField(_("mã thủ tục (để trống: mọi thủ tục)"), default=list, blank=True)
    stratify_by = models.CharField(
        _("phân tầng"), max_length=10, choices=StratifyBy.choices, default=StratifyBy.AGENCY
    )
    size_method = models.CharField(
        _("công thức cỡ mẫu"), max_length=10, choices=SizeMethod.choices, default=SizeMethod.COCHRAN
    )
    margin = models.FloatField(_("sai số cho phép"), default=0.05)
    deff = models.FloatField(_("hệ số thiết kế"), default=1.5)
    response_rate = models.FloatField(_("tỷ lệ phản hồi dự kiến"), default=0.8)
    seed = models.BigIntegerField(_("hạt giống chọn mẫu"), null=True, blank=True)
    population = models.PositiveIntegerField(_("quy mô tổng thể"), default=0)
    sample_size = models.PositiveIntegerField(_("cỡ mẫu"), default=0)
    min_cell = models.PositiveSmallIntegerField(_("ngưỡng ẩn ô nhỏ (k)"), default=5)
    open_link = models.BooleanField(_("cho phép đường dẫn mở"), default=False)
    double_keying = models.BooleanField(_("nhập phiếu giấy hai lần"), default=False)
    enumerator_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Flag codes whose responses are left out of the estimates; changing it is an audited decision.
    excluded_flags = models.JSONField(_("cờ bị loại khỏi ước lượng"), default=list, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    # Workers cache what taking an answer needs (instrument, strata) per campaign and this stamp; every
    # full save (the admin) moves it, and services that change strata or agencies save it explicitly.
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("đợt khảo sát")
        verbose_name_plural = _("đợt khảo sát")
        ordering = ["-starts_on", "slug"]

    def __str__(self) -> str:
        return self.name


class Stratum(models.Model):
    """A stratum of the sampling frame: its population N_h and the allocated sample n_h."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="strata")
    code = models.CharField(_("mã tầng"), max_length=60)
    name = models.CharField(_("tên tầng"), max_length=255)
    agency = models.ForeignKey(
        "units.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    population = models.PositiveIntegerField(_("quy mô N_h"), default=0)
    allocated = models.PositiveIntegerField(_("cỡ mẫu n_h"), default=0)

    class Meta:
        verbose_name = _("tầng mẫu")
        verbose_name_plural = _("tầng mẫu")
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="stratum_unique_code")]
        ordering = ["campaign", "code"]

    def __str__(self) -> str:
        return self.name


class PopulationMargin(models.Model):
    """A known population count of one category of a calibration variable (raking / post-stratification)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="margins")
    # "stratum" (the evaluated agency or block) or the code of a question with options, e.g. gender.
    variable = models.CharField(_("biến"), max_length=60)
    category = models.CharField(_("nhóm"), max_length=60)
    population = models.PositiveBigIntegerField(_("số người trong tổng thể"))

    class Meta:
        verbose_name = _("tổng thể biên để hiệu chỉnh")
        verbose_name_plural = _("tổng thể biên để hiệu chỉnh")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "variable", "category"], name="margin_unique_category"
            )
        ]
        ordering = ["campaign", "variable", "category"]

    def __str__(self) -> str:
        return f"{self.variable}={self.category}: {self.population}"


class Invitation(models.Model):
    """A one-time invitation. Only the SHA-256 of its token is stored, and nothing points to the answer."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    stratum = models.ForeignKey(Stratum, on_delete=models.CASCADE, related_name="invitations")
    # The token is HMAC(SECRET_KEY, nonce) so invitations can be printed again; see docs/surveys/anonymity.md.
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    used = models.BooleanField(_("đã trả lời"), default=False)
    # Delivery data (dossier code or list id, phone) is erased when the campaign closes.
    reference = models.CharField(_("mã hồ sơ / mã trong danh sách"), max_length=80, blank=True)
    contact = models.CharField(_("số điện thoại nhận tin"), max_length=40, blank=True)
    reminders = models.PositiveSmallIntegerField(_("số lần nhắc"), default=0)
    last_reminded_on = models.DateField(_("nhắc lần cuối"), null=True, blank=True)

    class Meta:
        verbose_name = _("lời mời khảo sát")
        verbose_name_plural = _("lời mời khảo sát")
        ordering = ["campaign", "stratum", "id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.pk}"


class Channel(models.TextChoices):
    WEB = "web", _("Phiếu trực tuyến (lời mời)")
    OPEN = "open", _("Đường dẫn mở")
    KIOSK = "kiosk", _("Thiết bị tại quầy")
    ENUMERATOR = "enumerator", _("Điều tra viên (ODK/Enketo)")
    PAPER = "paper", _("Phiếu giấy")


class Response(models.Model):
    """One anonymous answer sheet. No identity, token, dossier, IP, device, staff member or time of day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Written many times a second. The references are kept by Django (PROTECT / SET_NULL run in the
    # delete collector), not by database constraints: a deferred constraint check locks the campaign,
    # instrument and agency rows at every commit, and concurrent submissions then contend on those
    # locks (docs/surveys/collection.md, "Speed"). Rows are written only by services.submit_response,
    # with ids taken from the campaign itself. (campaign, stratum) serves the campaign's lookups.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="responses", db_index=False, db_constraint=False
    )
    instrument = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.PROTECT,
        related_name="responses",
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(_("kênh"), max_length=12, choices=Channel.choices)
    stratum = models.CharField(_("tầng"), max_length=60, blank=True)
    agency = models.ForeignKey(
        "units.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    counter = models.CharField(_("quầy"), max_length=60, blank=True)
    answers = models.JSONField(_("trả lời"), default=dict)
    demographics = models.JSONField(_("thông tin nhân khẩu (tùy chọn)"), default=dict, blank=True)
    flags = models.JSONField(_("cờ chất lượng"), default=list, blank=True)
    submitted_on = models.DateField(_("ngày trả lời"))

    class Meta:
        verbose_name = _("phiếu trả lời")
        verbose_name_plural = _("phiếu trả lời")
        indexes = [models.Index(fields=["campaign", "stratum"], name="response_campaign_stratum")]

    def __str__(self) -> str:
        return str(self.pk)


class SeenKey(models.Model):
    """A duplicate guard (hashed instanceID or scanned dossier); it never points to the response it guarded."""

    class Kind(models.TextChoices):
        INSTANCE = "instance", _("meta/instanceID")
        DOSSIER = "dossier", _("hồ sơ")

    # Like Response: no constraint to lock the campaign row at each commit; the unique index serves lookups.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind", "key_hash"], name="seen_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key_hash[:12]}"


class BurstWindow(models.Model):
    """How many submissions one source (an enumerator's device) sent in the current window, for the burst
    flag. The source is hashed, never stored with an answer, and its row is deleted once the window is over
    (services.BurstCount prunes them); a row holds the latest window only."""

    name = models.CharField(primary_key=True, max_length=48)  # "<bucket>:<hash of the source>"
    until = models.BigIntegerField()  # epoch second at which the window ends
    n = models.IntegerField()

    def __str__(self) -> str:
        return self.name


class Kiosk(models.Model):
    """A counter tablet bound to an agency and a counter; its URL key is stored hashed."""

    class Mode(models.TextChoices):
        FACES = "faces", _("Năm mặt cười")
        LIKE = "like", _("Thích / không thích")

    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    agency = models.ForeignKey(
        "units.Agency", on_delete=models.CASCADE, related_name="+", verbose_name=_("cơ quan")
    )
    counter = models.CharField(_("quầy"), max_length=60)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="kiosks")
    mode = models.CharField(_("kiểu đánh giá"), max_length=5, choices=Mode.choices, default=Mode.FACES)
    reset_seconds = models.PositiveSmallIntegerField(_("tự quay lại sau (giây)"), default=5)
    active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("thiết bị đánh giá tại quầy")
        verbose_name_plural = _("thiết bị đánh giá tại quầy")

    def __str__(self) -> str:
        return f"{self.agency} · {self.counter}"


class PaperSheet(models.Model):
    """A paper questionnaire being keyed in. Its answers are erased once they become a Response."""

    class Status(models.TextChoices):
        KEYED_ONCE = "keyed_once", _("Đã nhập lần 1")
        CONFLICT = "conflict", _("Hai lần nhập khác nhau")
        COMMITTED = "committed", _("Đã ghi nhận")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="paper_sheets")
    batch = models.CharField(_("mã lô"), max_length=40)
    sheet_no = models.PositiveIntegerField(_("số phiếu"))
    stratum = models.CharField(_("tầng"), max_length=60)
    first_answers = models.JSONField(default=dict, blank=True)
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    second_answers = models.JSONField(default=dict, blank=True)
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disagreements = models.JSONField(_("khác biệt"), default=list, blank=True)
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices)

    class Meta:
        verbose_name = _("phiếu giấy")
        verbose_name_plural = _("phiếu giấy")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "batch", "sheet_no"], name="paper_sheet_unique")
        ]
        ordering = ["campaign", "batch", "sheet_no"]

    def __str__(self) -> str:
        return f"{self.batch}/{self.sheet_no}"


class DossierRating(models.Model):
    """The citizen's rating of one dossier (Circular 01/2018 form, faces or like). It belongs to its dossier."""

    class Form(models.TextChoices):
        TT01 = "tt01", _("Phiếu Thông tư 01/2018")
        FACES = "faces", _("Mặt cười")
        LIKE = "like", _("Thích / không thích")

    dossier_code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    agency = models.ForeignKey(
        "units.Agency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cơ quan"),
    )
    instrument = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    form = models.CharField(_("hình thức"), max_length=5, choices=Form.choices)
    answers = models.JSONField(_("trả lời"), default=dict)
    score = models.FloatField(_("điểm"))
    satisfied = models.BooleanField(_("hài lòng"))
    channel = models.CharField(_("kênh"), max_length=12, choices=Channel.choices, default=Channel.WEB)
    counter = models.CharField(_("quầy"), max_length=60, blank=True)
    comment = models.TextField(_("ý kiến"), blank=True)
    contact_phone = models.CharField(_("điện thoại"), max_length=40, blank=True)
    contact_email = models.EmailField(_("thư điện tử"), blank=True)
    consent_share = models.BooleanField(_("đồng ý cho cơ quan xem ý kiến và liên hệ"), default=False)
    flags = models.JSONField(_("cờ chất lượng"), default=list, blank=True)
    recovery_code = models.CharField(_("mã phản ánh khắc phục"), max_length=40, blank=True)
    rated_at = models.DateTimeField(_("đánh giá lúc"))

    class Meta:
        verbose_name = _("đánh giá hồ sơ")
        verbose_name_plural = _("đánh giá hồ sơ")
        indexes = [models.Index(fields=["agency", "rated_at"], name="dossier_rating_agency")]
        ordering = ["-rated_at"]

    def __str__(self) -> str:
        return self.dossier_code
