"""Demo staff accounts for Tỉnh Đắk Lắk: one login per role, all with the same password."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from thuocdo.accounts.models import Role, RoleAssignment, User
from thuocdo.accounts.selectors import agency_model, unit_model
from thuocdo.audit.services import record_change

DEMO_PASSWORD = "thuocdo-demo-2025"  # noqa: S105 (published demo credential)

# (username, full name, role, where: "province" | "home_affairs" | "service_centre" | "nation")
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("quantri.quocgia", "Trần Quốc Hưng", Role.NATIONAL_ADMIN, "nation"),
    ("quantri.tinh", "Nguyễn Thị Thu Hà", Role.PROVINCE_ADMIN, "province"),
    ("phantich", "Lê Minh Khoa", Role.ANALYST, "province"),
    ("kiemtra", "Phạm Văn Thắng", Role.AUDITOR, "province"),
    ("thutruong.snv", "H'Linh Niê", Role.AGENCY_HEAD, "home_affairs"),
    ("canbo.xuly", "Y Sơn Byă", Role.OFFICER, "home_affairs"),
    ("canbo.motcua", "Đỗ Thị Mai Anh", Role.COUNTER_STAFF, "service_centre"),
)


def demo_logins() -> list[tuple[str, str]]:
    """(username, role label) of every demo account."""
    return [(username, str(Role(role).label)) for username, _name, role, _where in DEMO_USERS]


def _places(province_code: str) -> dict[str, tuple[Any, Any]]:
    """Where each demo role sits, as (unit, agency); a missing agency falls back to the province."""
    AdminUnit, Agency = unit_model(), agency_model()
    provinces = AdminUnit._default_manager.filter(code=province_code, level="province")
    province: Any = provinces.filter(structure="2025").first() or provinces.first()
    if province is None:
        in_province = Agency._default_manager.none()
    else:
        located = Q(admin_unit=province)
        if province.path:
            located |= Q(admin_unit__path__startswith=province.path)
        in_province = Agency._default_manager.filter(located)
    departments = in_province.filter(kind="department").order_by("path", "code")
    home_affairs = departments.filter(name__icontains="Nội vụ").first() or departments.first()
    centre = in_province.filter(kind="service_centre").order_by("path", "code").first()
    at_province = (province, None)
    return {
        "nation": (None, None),
        "province": at_province,
        "home_affairs": (None, home_affairs) if home_affairs is not None else at_province,
        "service_centre": (None, centre) if centre is not None else at_province,
    }


def build(ctx: Any) -> None:
    """Create (or reset) one demo user per role and print where each one works."""
    places = _places(ctx.province_code)
    made = []
    for username, full_name, role, where in DEMO_USERS:
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "email": f"{username}@thuocdo.invalid",
                "is_staff": role in (Role.NATIONAL_ADMIN, Role.PROVINCE_ADMIN, Role.AUDITOR),
                "is_superuser": role == Role.NATIONAL_ADMIN,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        RoleAssignment.objects.filter(user=user).delete()
        unit, agency = places[where]
        if unit is None and agency is None and role != Role.NATIONAL_ADMIN:
            # Without the province there is nowhere to scope the role; a national fallback would over-grant.
            ctx.say(f"  {username:<16} (no role: province {ctx.province_code} not found)")
            continue
        RoleAssignment.objects.create(user=user, role=role, unit=unit, agency=agency)
        scope = str(agency or unit or "toàn quốc")
        made.append({"username": username, "role": role, "scope": scope})
        if hasattr(ctx, "logins"):
            ctx.logins.append((username, DEMO_PASSWORD, str(Role(role).label)))
        ctx.say(f"  {username:<16} {Role(role).label} · {scope}")
    record_change(
        actor="demo", action="accounts.demo_users", summary="Demo staff accounts", data={"users": made}
    )
