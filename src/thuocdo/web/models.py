"""Report jobs: reports requested from the web are made in the background and kept for a few days."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportJob(models.Model):
    """One requested report: what, for whom, how far it has got, and the file once made."""

    class Kind(models.TextChoices):
        INDEX766 = "766", _("Báo cáo Bộ chỉ số 766 hằng tháng")
        SATISFACTION = "satisfaction", _("Báo cáo sự hài lòng hằng năm")

    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang lập")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không lập được")

    # A random id: the URL of a report must not let one official guess another's.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("đơn vị"), max_length=80)  # a scope key (province:66, agency:H66.01...)
    unit_label = models.CharField(_("tên đơn vị"), max_length=200, blank=True)
    period = models.CharField(_("kỳ"), max_length=10)  # YYYY-MM (766) or YYYY (satisfaction)
    fmt = models.CharField(_("định dạng"), max_length=5)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_jobs"
    )
    state = models.CharField(_("trạng thái"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    step = models.CharField(_("bước"), max_length=200, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("dung lượng (byte)"), default=0)
    created_at = models.DateTimeField(_("yêu cầu lúc"))
    updated_at = models.DateTimeField(_("cập nhật lúc"))
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("yêu cầu lập báo cáo")
        verbose_name_plural = _("yêu cầu lập báo cáo")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="reportjob_user_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="reportjob_progress_percent"),
            models.CheckConstraint(
                condition=models.Q(fmt__in=["pdf", "xlsx", "docx"]), name="reportjob_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit_label} {self.period} ({self.fmt})"

    @property
    def period_label(self) -> str:
        """ "tháng 10/2025" or "năm 2025", as the page writes it."""
        if self.kind == self.Kind.INDEX766 and "-" in self.period:
            year, month = self.period.split("-", 1)
            return str(_("tháng %(month)s/%(year)s") % {"month": int(month), "year": year})
        return str(_("năm %(year)s") % {"year": self.period})

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
