"""The editable table of official non-working days and swapped working Saturdays.

The statutory holidays are computed in core.workcalendar for any year; rows here record what the
Government actually announced (Tết days, swaps, extra days off) and override the computed rules
for the years they cover.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Ngày lễ, Tết")
        COMPENSATORY = "compensatory", _("Nghỉ bù")
        SWAP_OFF = "swap_off", _("Nghỉ hoán đổi")
        SWAP_WORKDAY = "swap_workday", _("Làm bù")
        EXTRA_OFF = "extra_off", _("Nghỉ thêm")

    class Confidence(models.TextChoices):
        SOURCED = "sourced", _("Có văn bản")
        COMPUTED = "computed", _("Tính theo luật")
        UNCERTAIN = "uncertain", _("Chưa chắc chắn")

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    name_vi = models.CharField(_("tên"), max_length=255)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=255, blank=True)
    source = models.TextField(_("nguồn"), blank=True)
    confidence = models.CharField(
        _("độ tin cậy"), max_length=10, choices=Confidence.choices, default=Confidence.SOURCED
    )
    # Lets every process notice an edit made by another one (see selectors.work_calendar).
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("lịch ngày nghỉ, ngày làm bù")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name_vi}"
