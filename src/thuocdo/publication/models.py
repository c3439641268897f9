"""What the portal publishes: figures (imported history or computed results), targets, and daily ranking snapshots.

A PublishedFigure is one value of one measure for one unit or agency in one year (optionally one period of
it). History from before the system was installed arrives by import; survey and 766 results are published
into the same table, so trends, maps, open data and reports read one source.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PublishedFigure(models.Model):
    unit = models.ForeignKey(
        "units.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_figures",
        verbose_name=_("đơn vị hành chính"),
    )
    agency = models.ForeignKey(
        "units.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_figures",
        verbose_name=_("cơ quan"),
    )
    # A comparison block (khối) as a whole: survey results are also published per block of agencies.
    block = models.ForeignKey(
        "units.ComparisonBlock",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_figures",
        verbose_name=_("khối"),
    )
    measure = models.CharField(
        _("chỉ số"), max_length=80, help_text=_("sipas, par_index, index766, sipas_factor:<mã>, …")
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    # "" is the whole year; otherwise "Q1".."Q4" or "M01".."M12".
    period = models.CharField(_("kỳ"), max_length=8, blank=True, default="")
    # Null when the cell is suppressed (too few answers, or complementary suppression); components say why.
    value = models.DecimalField(_("giá trị"), max_digits=7, decimal_places=3, null=True, blank=True)
    components = models.JSONField(_("chỉ số thành phần"), default=dict, blank=True)
    ci_low = models.DecimalField(
        _("cận dưới khoảng tin cậy"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    ci_high = models.DecimalField(
        _("cận trên khoảng tin cậy"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    n = models.PositiveIntegerField(_("số phiếu"), null=True, blank=True)
    is_estimate = models.BooleanField(
        _("ước tính"), default=False, help_text=_("ví dụ giá trị dựng lại cho tỉnh mới sau sáp nhập")
    )
    estimate_note = models.CharField(_("cách ước tính"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    source = models.CharField(_("nguồn"), max_length=500, blank=True)
    imported_at = models.DateTimeField(_("nhập lúc"))
    # The survey campaign a computed figure comes from; publishing the campaign again replaces exactly these.
    campaign = models.ForeignKey(
        "surveys.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_figures",
        verbose_name=_("đợt khảo sát"),
    )
    # The published 766 month a computed figure belongs to; publishing the month again replaces exactly these.
    index_month = models.ForeignKey(
        "publication.Index766Month",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="figures",
        verbose_name=_("tháng công bố chỉ số 766"),
    )

    class Meta:
        verbose_name = _("số liệu công bố")
        verbose_name_plural = _("số liệu công bố")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, agency__isnull=True, block__isnull=True)
                | Q(unit__isnull=True, agency__isnull=False, block__isnull=True)
                | Q(unit__isnull=True, agency__isnull=True, block__isnull=False),
                name="figure_one_subject",
            ),
            models.UniqueConstraint(
                fields=["unit", "measure", "year", "period"],
                condition=Q(agency__isnull=True),
                name="figure_unique_per_unit",
            ),
            models.UniqueConstraint(
                fields=["agency", "measure", "year", "period"],
                condition=Q(unit__isnull=True),
                name="figure_unique_per_agency",
            ),
            models.UniqueConstraint(
                fields=["block", "measure", "year", "period"],
                condition=Q(unit__isnull=True, agency__isnull=True),
                name="figure_unique_per_block",
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "year", "period"], name="figure_measure_year"),
            # The partial unique indexes are not used by queries that do not repeat their condition.
            models.Index(fields=["unit", "measure", "period", "year"], name="figure_unit_series"),
            models.Index(fields=["agency", "measure", "period", "year"], name="figure_agency_series"),
        ]
        ordering = ["measure", "year", "period"]

    def __str__(self) -> str:
        who = self.unit or self.agency or self.block
        return f"{self.measure} {who} {self.year}{self.period}: {self.value}"

    @property
    def is_suppressed(self) -> bool:
        """True when the value is withheld (fewer than k answers, or to protect such a cell)."""
        return self.value is None


class Target(models.Model):
    """A published goal (e.g. satisfaction ≥ 90% by 2025), versioned by its effective dates."""

    measure = models.CharField(_("chỉ số"), max_length=80)
    threshold = models.DecimalField(_("ngưỡng"), max_digits=7, decimal_places=3)
    target_year = models.PositiveSmallIntegerField(_("năm đạt"))
    label = models.CharField(_("nhãn"), max_length=200)
    unit = models.ForeignKey(
        "units.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("áp dụng cho"),
        help_text=_("để trống: áp dụng chung"),
    )
    effective_from = models.DateField(_("hiệu lực từ"))
    effective_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    source = models.CharField(_("căn cứ"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("mục tiêu")
        verbose_name_plural = _("mục tiêu")
        ordering = ["measure", "target_year", "-effective_from"]

    def __str__(self) -> str:
        return self.label


class Snapshot(models.Model):
    """The rankings published on one day for one measure and one comparison group."""

    taken_on = models.DateField(_("ngày chụp"))
    measure = models.CharField(_("chỉ số"), max_length=80)
    year = models.PositiveSmallIntegerField(_("năm số liệu"))
    # "" for a yearly figure; "M01".."M12" when the ranking is of a published month (the 766 index).
    period = models.CharField(_("kỳ"), max_length=8, blank=True, default="")
    # "province" (all provinces), "commune:<province code>", or "block:<comparison block code>".
    group = models.CharField(_("nhóm so sánh"), max_length=60)
    created_at = models.DateTimeField(_("tạo lúc"))

    class Meta:
        verbose_name = _("ảnh chụp xếp hạng")
        verbose_name_plural = _("ảnh chụp xếp hạng")
        constraints = [
            models.UniqueConstraint(fields=["taken_on", "measure", "group"], name="snapshot_unique_per_day")
        ]
        ordering = ["-taken_on", "measure", "group"]

    def __str__(self) -> str:
        return f"{self.taken_on:%d/%m/%Y} {self.measure} {self.group}"


class SnapshotRow(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="rows")
    code = models.CharField(_("mã"), max_length=40)
    name = models.CharField(_("tên"), max_length=255)
    value = models.DecimalField(_("giá trị"), max_digits=7, decimal_places=3)
    n = models.PositiveIntegerField(_("số phiếu"), null=True, blank=True)
    is_estimate = models.BooleanField(_("ước tính"), default=False)
    rank = models.PositiveIntegerField(_("hạng"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("hạng kỳ trước"), null=True, blank=True)

    class Meta:
        verbose_name = _("dòng xếp hạng")
        verbose_name_plural = _("dòng xếp hạng")
        ordering = ["snapshot", "rank", "code"]

    def __str__(self) -> str:
        return f"{self.code} #{self.rank}"

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous snapshot (positive = moved up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


class Index766Month(models.Model):
    """One month of the 766 index as published: an act, so the public sees stable figures.

    Its figures (PublishedFigure.index_month) and late lists are replaced together when the month is
    published again; the audit log keeps who published what and when.
    """

    year = models.PositiveSmallIntegerField(_("năm"))
    month = models.PositiveSmallIntegerField(_("tháng"))
    published_at = models.DateTimeField(_("công bố lúc"))
    published_by = models.CharField(_("người công bố"), max_length=150, blank=True)
    judged_at = models.DateTimeField(_("thời điểm đánh giá"))
    ruleset = models.CharField(_("bộ quy tắc"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)

    class Meta:
        verbose_name = _("tháng công bố chỉ số 766")
        verbose_name_plural = _("tháng công bố chỉ số 766")
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="index766_month_unique")]
        ordering = ["-year", "-month"]

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year}"

    @property
    def period(self) -> str:
        """The PublishedFigure period of this month ("M10")."""
        return f"M{self.month:02d}"

    @property
    def key(self) -> str:
        """The month as the public pages name it in URLs ("2025-10")."""
        return f"{self.year}-{self.month:02d}"


class LateUnitEntry(models.Model):
    """An agency that let dossiers run late in a published month (Decision 766 asks for the list monthly)."""

    index_month = models.ForeignKey(Index766Month, on_delete=models.CASCADE, related_name="late_units")
    province = models.ForeignKey(
        "units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "units.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency_code = models.CharField(_("mã cơ quan"), max_length=60)
    agency_name = models.CharField(_("tên cơ quan"), max_length=255)
    late = models.PositiveIntegerField(_("số hồ sơ trễ hạn"))
    counted = models.PositiveIntegerField(_("số hồ sơ được đánh giá"))

    class Meta:
        verbose_name = _("đơn vị để xảy ra trễ hạn")
        verbose_name_plural = _("đơn vị để xảy ra trễ hạn")
        ordering = ["index_month", "-late", "agency_code"]

    def __str__(self) -> str:
        return f"{self.index_month} {self.agency_code}: {self.late}"


class LateOfficialEntry(models.Model):
    """An official whose processing steps ran past their deadline in a published month.

    Only what the Decision asks to publish: the name, where they work and how many steps were late —
    no dossier, no citizen, no workload.
    """

    index_month = models.ForeignKey(Index766Month, on_delete=models.CASCADE, related_name="late_officials")
    province = models.ForeignKey(
        "units.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "units.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency_code = models.CharField(_("mã cơ quan"), max_length=60)
    agency_name = models.CharField(_("tên cơ quan"), max_length=255)
    officer = models.CharField(_("cán bộ, công chức, viên chức"), max_length=150)
    department = models.CharField(_("phòng ban"), max_length=200, blank=True)
    late_steps = models.PositiveIntegerField(_("số bước xử lý trễ hạn"))

    class Meta:
        verbose_name = _("cán bộ để xảy ra trễ hạn")
        verbose_name_plural = _("cán bộ để xảy ra trễ hạn")
        ordering = ["index_month", "-late_steps", "officer"]

    def __str__(self) -> str:
        return f"{self.index_month} {self.officer}: {self.late_steps}"
