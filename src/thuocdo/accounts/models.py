"""Staff accounts and scoped roles. Citizens never need an account."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)
    # Bumped by "sign out everywhere"; sessions remember the epoch they were created in.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    COUNTER_STAFF = "counter_staff", _("Cán bộ tiếp nhận (một cửa)")
    OFFICER = "officer", _("Cán bộ xử lý")
    ANALYST = "analyst", _("Chuyên viên phân tích")
    AGENCY_HEAD = "agency_head", _("Thủ trưởng cơ quan")
    PROVINCE_ADMIN = "province_admin", _("Quản trị cấp tỉnh")
    NATIONAL_ADMIN = "national_admin", _("Quản trị cấp quốc gia")
    AUDITOR = "auditor", _("Kiểm tra, giám sát")


class RoleAssignment(models.Model):
    """A role over a subtree: an agency (and its sub-agencies), an administrative unit (and all below), or the nation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "units.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("phạm vi địa bàn"),
    )
    agency = models.ForeignKey(
        "units.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("phạm vi cơ quan"),
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(unit__isnull=False) & models.Q(agency__isnull=False)),
                name="role_scope_is_unit_or_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


def default_drop_threshold() -> Decimal:
    """Points an indicator must lose before a digest mentions it: settings.THUOCDO["ALERT_DROP_POINTS"], else 2."""
    return Decimal(str(settings.THUOCDO.get("ALERT_DROP_POINTS", "2")))


def default_horizon_days() -> int:
    """Working days ahead that count as "near the deadline": settings.THUOCDO["ALERT_HORIZON_DAYS"], else 2."""
    return int(str(settings.THUOCDO.get("ALERT_HORIZON_DAYS", "2")))


class AlertSubscription(models.Model):
    """One official's e-mail digest: which alerts, over which scope, how often, and the last period sent."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Hằng ngày")
        WEEKLY = "weekly", _("Hằng tuần")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscription"
    )
    active = models.BooleanField(_("nhận bản tin cảnh báo"), default=True)
    frequency = models.CharField(_("tần suất"), max_length=10, choices=Frequency.choices, default="daily")
    # A scope key of the 766 pages (agency:CODE, commune:CODE, province:CODE, national); blank = the user's own.
    scope_key = models.CharField(_("phạm vi"), max_length=80, blank=True)
    on_drop = models.BooleanField(_("chỉ số giảm so với tháng trước"), default=True)
    on_deadline = models.BooleanField(_("hồ sơ sắp đến hạn, đang quá hạn"), default=True)
    on_target = models.BooleanField(_("nguy cơ không đạt mục tiêu"), default=True)
    drop_threshold = models.DecimalField(
        _("ngưỡng giảm (điểm)"), max_digits=5, decimal_places=2, default=default_drop_threshold
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("sắp đến hạn trong (ngày làm việc)"), default=default_horizon_days
    )
    last_sent_key = models.CharField(_("kỳ đã gửi gần nhất"), max_length=12, blank=True, editable=False)
    last_sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("đăng ký cảnh báo")
        verbose_name_plural = _("đăng ký cảnh báo")
        constraints = [
            models.CheckConstraint(condition=models.Q(horizon_days__lte=30), name="alert_horizon_at_most_30")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_frequency_display()}"
