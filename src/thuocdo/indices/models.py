"""The Decision 766 index: rule sets, entered figures, and the incremental aggregates over stored dossiers.

`DossierFact` holds, per stored dossier, the few columns the index reads (see indices/facts.py);
`CellDay` and `CellMonth` hold their sums per agency × procedure × field × day (or month), kept
current by services.sync_facts with the same delta rule as the dossiers app's monthly tallies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from thuocdo.core.rulesets import RuleSet as CoreRuleSet
from thuocdo.core.rulesets import RuleSetError, parse_ruleset


class RuleSet(models.Model):
    """A version of the 766 points, targets and bands; the JSON document is validated by core.rulesets."""

    code = models.SlugField(_("mã bộ quy tắc"), max_length=60, unique=True, editable=False)
    name = models.CharField(_("tên"), max_length=200, editable=False)
    effective_from = models.DateField(_("hiệu lực từ"), editable=False)
    effective_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True, editable=False)
    document = models.JSONField(
        _("nội dung (JSON)"),
        help_text=_("Nhóm, chỉ số, điểm, mục tiêu, xếp loại và tham số; mã và ngày hiệu lực lấy từ đây."),
    )
    active = models.BooleanField(_("đang dùng"), default=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("bộ quy tắc chỉ số 766")
        verbose_name_plural = _("bộ quy tắc chỉ số 766")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.code} ({self.effective_from:%d/%m/%Y})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def parsed(self) -> CoreRuleSet:
        """The validated rule set (raises RuleSetError)."""
        return parse_ruleset(self.document, source=f"bộ quy tắc «{self.code or '?'}»")

    def clean(self) -> None:
        try:
            rules = self.parsed()
        except RuleSetError as exc:
            raise ValidationError({"document": exc.problems}) from None
        self.code, self.name = rules.id, rules.name
        self.effective_from, self.effective_to = rules.effective_from, rules.effective_to


class ReportedFigure(models.Model):
    """A figure entered by hand for a month: 1.4 (dossiers reported to the National Reporting System) or 4.6."""

    class Indicator(models.TextChoices):
        REPORTED_RECEIVED = "1.4", _("1.4 — số hồ sơ đã báo cáo lên Hệ thống báo cáo quốc gia")
        CERTIFIED_COPIES = "4.6", _("4.6 — chứng thực bản sao điện tử (đạt / tổng)")

    agency = models.ForeignKey(
        "units.Agency", on_delete=models.PROTECT, related_name="reported_figures", verbose_name=_("cơ quan")
    )
    indicator = models.CharField(_("chỉ số"), max_length=8, choices=Indicator.choices)
    month = models.DateField(_("tháng"), help_text=_("ngày đầu tháng"))
    numerator = models.PositiveIntegerField(_("số liệu (tử số)"))
    denominator = models.PositiveIntegerField(_("mẫu số"), null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("người nhập"),
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("số liệu nhập tay")
        verbose_name_plural = _("số liệu nhập tay")
        constraints = [
            models.UniqueConstraint(fields=["agency", "indicator", "month"], name="reported_figure_unique"),
        ]
        ordering = ["-month", "agency"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.agency_id} {self.month:%m/%Y}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("Chọn ngày đầu tháng.")})
        if self.indicator == self.Indicator.CERTIFIED_COPIES:
            if self.denominator is None:
                raise ValidationError({"denominator": _("Chỉ số 4.6 cần mẫu số.")})
            if self.numerator > self.denominator:
                raise ValidationError({"numerator": _("Tử số không được lớn hơn mẫu số.")})


AS_OF_COLUMNS = (
    "excluded", "final", "closed", "paper", "online", "e_result", "result_file", "has_files", "flagged",
    "due_known", "late_at", "procedure_code", "field_code",
)  # fmt: skip


class DossierFact(models.Model):
    """The index columns of one stored dossier (derived by indices.facts.facts_of)."""

    code = models.CharField(max_length=60, primary_key=True)
    agency_code = models.CharField(max_length=60)
    procedure_code = models.CharField(max_length=40)
    field_code = models.CharField(max_length=40, blank=True)
    excluded = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    open_until = models.DateTimeField()
    final = models.CharField(max_length=12, blank=True)
    closed = models.BooleanField(default=False)
    paper = models.BooleanField(default=True)
    online = models.BooleanField(default=False)
    e_result = models.BooleanField(default=False)
    result_file = models.BooleanField(default=False)
    has_files = models.BooleanField(default=False)
    fee = models.BooleanField(default=False)
    paid = models.BooleanField(default=False)
    reused = models.BooleanField(default=False)
    store = models.BooleanField(default=False)
    pop = models.BooleanField(default=False)
    flagged = models.BooleanField(default=False)
    due_known = models.BooleanField(default=True)
    late_at = models.DateTimeField(null=True, blank=True)
    # Closed dossiers with a paper result only: bit length of their whole seconds from reception to settling,
    # so "received before S and still open after J" is a few narrow ranges (see selectors._spanning).
    span_bucket = models.SmallIntegerField(null=True, blank=True)
    # What the row was derived from: status events change status and status_at, new documents the version.
    src_version = models.BigIntegerField(default=0)
    src_hash = models.CharField(max_length=32, blank=True)
    src_status = models.PositiveSmallIntegerField(default=0)
    src_status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dữ kiện hồ sơ cho chỉ số 766")
        verbose_name_plural = _("dữ kiện hồ sơ cho chỉ số 766")
        indexes = [
            # On PostgreSQL migration 0005 makes these two cover AS_OF_COLUMNS (index-only as-of scans);
            # SQLite has no INCLUDE and would warn on every command if it were declared here.
            models.Index(fields=["open_until", "received_at"], name="fact_open_until"),
            models.Index(fields=["agency_code", "open_until", "received_at"], name="fact_agency_open_until"),
            models.Index(fields=["received_at"], name="fact_received"),
            models.Index(fields=["late_at"], name="fact_late_at"),
            models.Index(
                fields=["span_bucket", "received_at"],
                name="fact_span",
                condition=models.Q(span_bucket__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class _Metrics(models.Model):
    # One column per name in indices.facts.METRICS, then indices.openstate.OPEN_METRICS.
    r_n = models.IntegerField(default=0)
    r_online = models.IntegerField(default=0)
    r_ok33 = models.IntegerField(default=0)
    r_fee = models.IntegerField(default=0)
    r_paid = models.IntegerField(default=0)
    r_den41 = models.IntegerField(default=0)
    r_num41 = models.IntegerField(default=0)
    r_ok42 = models.IntegerField(default=0)
    r_reused = models.IntegerField(default=0)
    r_store = models.IntegerField(default=0)
    r_pop = models.IntegerField(default=0)
    s_counted = models.IntegerField(default=0)
    s_within = models.IntegerField(default=0)
    s_late = models.IntegerField(default=0)
    s_flagged = models.IntegerField(default=0)
    # Open-state counters (indices.openstate.OPEN_METRICS): +1 where an interval starts, -1 where it ends, so
    # their sum over every day before J counts the dossiers open (or open and late) at J.
    o_dk = models.IntegerField(default=0)
    o_dkf = models.IntegerField(default=0)
    l_dk = models.IntegerField(default=0)
    l_ndk = models.IntegerField(default=0)
    l_ndkf = models.IntegerField(default=0)
    k33 = models.IntegerField(default=0)
    k41 = models.IntegerField(default=0)
    k41n = models.IntegerField(default=0)
    k42 = models.IntegerField(default=0)

    class Meta:
        abstract = True


class _Cell(_Metrics):
    agency_code = models.CharField(max_length=60)
    procedure_code = models.CharField(max_length=40)
    field_code = models.CharField(max_length=40, blank=True)

    class Meta:
        abstract = True


class CellDay(_Cell):
    """Sums of DossierFact contributions per agency, procedure, field and Vietnam day."""

    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency_code", "procedure_code", "field_code", "day"], name="index_cell_day_key"
            ),
        ]
        indexes = [models.Index(fields=["day", "agency_code"], name="index_cell_day_day")]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.procedure_code} {self.day}"


class CellMonth(_Cell):
    """The same sums per month (first day), so a year needs 12 rows per key instead of 365."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency_code", "procedure_code", "field_code", "month"], name="index_cell_month_key"
            ),
        ]
        indexes = [models.Index(fields=["month", "agency_code"], name="index_cell_month_month")]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.procedure_code} {self.month:%Y-%m}"


class CellAgencyMonth(_Metrics):
    """The month cells summed over procedures: what a level's total reads (12 rows per agency a year)."""

    agency_code = models.CharField(max_length=60)
    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_code", "month"], name="index_cell_agency_month_key")
        ]
        indexes = [models.Index(fields=["month", "agency_code"], name="index_cell_agency_month_m")]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.month:%Y-%m}"


class CellAgencyDay(_Metrics):
    """The day cells summed over procedures: a level's partial months and the open-state prefix within a month."""

    agency_code = models.CharField(max_length=60)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency_code", "day"], name="index_cell_agency_day_key")
        ]
        indexes = [models.Index(fields=["day", "agency_code"], name="index_cell_agency_day_d")]

    def __str__(self) -> str:
        return f"{self.agency_code} {self.day}"


class CellProcedureMonth(_Metrics):
    """The month cells summed over agencies: which procedures had online/fee/paid dossiers nationally."""

    procedure_code = models.CharField(max_length=40)
    field_code = models.CharField(max_length=40, blank=True)
    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["procedure_code", "field_code", "month"], name="index_cell_procedure_month_key"
            )
        ]
        indexes = [models.Index(fields=["month"], name="index_cell_procedure_month_m")]

    def __str__(self) -> str:
        return f"{self.procedure_code} {self.month:%Y-%m}"


class SyncState(models.Model):
    """How far sync_facts has read the dossier table (by Dossier.updated_at)."""

    name = models.CharField(max_length=40, unique=True)
    watermark = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark}"
