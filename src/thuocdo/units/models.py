"""Administrative units (versioned, with lineage across the 2025 reorganisation) and agencies.

Units and agencies are trees. Each row keeps a materialised `path` ("/12/340/") so that
"this unit and everything below it" is one indexed prefix query on any database engine.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminUnit(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Tỉnh/Thành phố")
        DISTRICT = "district", _("Quận/Huyện")
        COMMUNE = "commune", _("Xã/Phường/Đặc khu")

    class Structure(models.TextChoices):
        CURRENT = "2025", _("Hai cấp (từ 01/07/2025)")
        LEGACY = "legacy", _("Ba cấp (trước 01/07/2025)")

    code = models.CharField(_("mã"), max_length=10, help_text=_("Mã đơn vị hành chính của Tổng cục Thống kê"))
    name = models.CharField(_("tên"), max_length=200)
    short_name = models.CharField(
        _("tên ngắn"), max_length=200, blank=True, help_text=_("tên không kèm loại, ví dụ «Hà Nội»")
    )
    division_type = models.CharField(_("loại"), max_length=60, blank=True)
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    structure = models.CharField(_("hệ thống"), max_length=10, choices=Structure.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("thuộc"),
    )
    # Validity is [valid_from, valid_to): valid_to is the first day the unit no longer exists.
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    search_name = models.CharField(max_length=200, db_index=True, editable=False, default="")
    # The folded short name lets an exact "ha noi" outrank "Phường Hà Nội Mới"-style partial matches.
    search_short = models.CharField(max_length=200, editable=False, default="")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    area_km2 = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "level", "code"], name="unit_code_unique_per_structure"
            ),
        ]
        indexes = [models.Index(fields=["code", "level"], name="unit_code_level")]
        ordering = ["structure", "level", "code"]

    def __str__(self) -> str:
        return self.name


class UnitLineage(models.Model):
    """One predecessor → successor edge of a reorganisation (merger, split or rename)."""

    predecessor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="predecessor_links")
    effective_on = models.DateField()
    # A commune split across several new units maps to each part; the primary part receives its history.
    is_primary = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor", "effective_on"], name="lineage_unique_edge"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.effective_on:%d/%m/%Y})"


class ComparisonBlock(models.Model):
    """A block (khối) of comparable agencies; rankings are made within a block."""

    code = models.SlugField(_("mã khối"), max_length=40, unique=True)
    name = models.CharField(_("tên khối"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("khối so sánh")
        verbose_name_plural = _("khối so sánh")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Bộ, cơ quan ngang bộ")
        MINISTRY_UNIT = "ministry_unit", _("Đơn vị thuộc bộ")
        PROVINCE_COMMITTEE = "province_committee", _("UBND tỉnh/thành phố")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
        COMMUNE_COMMITTEE = "commune_committee", _("UBND xã/phường/đặc khu")
        VERTICAL = "vertical", _("Cơ quan ngành dọc")
        PUBLIC_SERVICE_UNIT = "public_service_unit", _("Đơn vị sự nghiệp công lập")
        OTHER = "other", _("Khác")

    code = models.CharField(_("mã định danh"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=80, blank=True)
    kind = models.CharField(_("loại"), max_length=24, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("trực thuộc"),
    )
    admin_unit = models.ForeignKey(
        AdminUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        verbose_name=_("địa bàn"),
    )
    block = models.ForeignKey(
        ComparisonBlock,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agencies",
        verbose_name=_("khối"),
    )
    # Office hours as [["07:00", "11:30"], ["13:30", "17:00"]]; empty means the calendar's default.
    office_hours = models.JSONField(_("giờ làm việc"), default=list, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại tiếp nhận phản ánh"), max_length=40, blank=True)
    email = models.EmailField(_("thư điện tử tiếp nhận phản ánh"), blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    search_name = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name
