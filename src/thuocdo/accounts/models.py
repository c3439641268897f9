"""Staff accounts and scoped roles. Citizens never need an account."""

from __future__ import annotations

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
