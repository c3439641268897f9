"""The administrative procedure catalogue (thủ tục hành chính), shaped like the national TTHC database."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from thuocdo.core.text import fold
from thuocdo.core.timelimit import TimeLimit, TimeUnit, format_time_limit


class ProcedureField(models.Model):
    """A field (lĩnh vực) such as Hộ tịch or Đất đai."""

    code = models.CharField(_("mã lĩnh vực"), max_length=40, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    class TimeUnit(models.TextChoices):
        WORKING_DAYS = "working_days", _("ngày làm việc")
        CALENDAR_DAYS = "calendar_days", _("ngày")
        WORKING_HOURS = "working_hours", _("giờ làm việc")

    class OnlineLevel(models.TextChoices):
        FULL = "full", _("Toàn trình")
        PARTIAL = "partial", _("Một phần")
        NONE = "none", _("Không")

    class Level(models.TextChoices):
        MINISTRY = "ministry", _("Cấp Bộ")
        PROVINCE = "province", _("Cấp Tỉnh")
        COMMUNE = "commune", _("Cấp Xã")
        OTHER = "other", _("Cơ quan khác")

    code = models.CharField(_("mã thủ tục"), max_length=40, unique=True, help_text=_("ví dụ 1.001234"))
    name = models.CharField(_("tên thủ tục"), max_length=500)
    field = models.ForeignKey(
        ProcedureField, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực")
    )
    levels = models.JSONField(_("cấp thực hiện"), default=list, help_text=_("danh sách các cấp thực hiện"))
    time_limit = models.DecimalField(
        _("thời hạn giải quyết"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    time_limit_unit = models.CharField(
        _("đơn vị thời hạn"), max_length=16, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS
    )
    online_time_limit = models.DecimalField(
        _("thời hạn khi nộp trực tuyến"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    fee_bearing = models.BooleanField(_("có phí, lệ phí"), default=False)
    online_level = models.CharField(
        _("mức dịch vụ công trực tuyến"), max_length=8, choices=OnlineLevel.choices, default=OnlineLevel.NONE
    )
    full_online_eligible = models.BooleanField(_("đủ điều kiện toàn trình"), default=False)
    issues_paper_result = models.BooleanField(_("có kết quả giấy"), default=True)
    citizen_subject = models.BooleanField(_("đối tượng là công dân"), default=True)
    components_complete = models.BooleanField(_("công khai đầy đủ bộ phận tạo thành"), default=True)
    decision_number = models.CharField(_("số quyết định công bố"), max_length=80, blank=True)
    published_on = models.DateField(_("ngày quyết định công bố"), null=True, blank=True)
    made_public_on = models.DateField(_("ngày công khai trên CSDL quốc gia"), null=True, blank=True)
    legal_effective_on = models.DateField(_("ngày văn bản quy định có hiệu lực"), null=True, blank=True)
    effective_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    effective_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    agencies = models.ManyToManyField(
        "units.Agency", blank=True, related_name="procedures", verbose_name=_("cơ quan thực hiện")
    )
    search_name = models.CharField(max_length=500, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The folded name is what accent-insensitive search compares against; keep it in step with the name.
        self.search_name = fold(self.name)[:500]
        super().save(*args, **kwargs)

    @property
    def time_limit_display(self) -> str:
        if self.time_limit is None:
            return ""
        return format_time_limit(TimeLimit(self.time_limit, TimeUnit(self.time_limit_unit)))

    @property
    def online_time_limit_display(self) -> str:
        if self.online_time_limit is None:
            return ""
        return format_time_limit(TimeLimit(self.online_time_limit, TimeUnit(self.time_limit_unit)))

    @property
    def level_labels(self) -> list[str]:
        return [str(self.Level(v).label) if v in self.Level.values else v for v in self.levels]
