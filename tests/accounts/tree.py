"""A small tree for permission tests: two provinces, two communes each, agencies under them, staff of every role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thuocdo.accounts.models import Role, RoleAssignment, User
from thuocdo.units.models import AdminUnit, Agency

ROLE_BACKEND = "thuocdo.accounts.backends.RolePermissionBackend"
PASSWORD = "mat-khau-thu-nghiem-2025"


def make_unit(code: str, name: str, level: str, parent: AdminUnit | None = None) -> AdminUnit:
    unit = AdminUnit.objects.create(code=code, name=name, level=level, structure="2025", parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def make_agency(
    code: str, name: str, kind: str, unit: AdminUnit | None, parent: Agency | None = None
) -> Agency:
    agency = Agency.objects.create(code=code, name=name, kind=kind, admin_unit=unit, parent=parent)
    agency.path = f"{parent.path if parent else '/'}{agency.pk}/"
    agency.save(update_fields=["path"])
    return agency


def make_user(
    username: str, role: str | None = None, *, unit: Any = None, agency: Any = None, **extra: Any
) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=username.title(), **extra)
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, unit=unit, agency=agency)
    return user


@dataclass
class Tree:
    units: dict[str, AdminUnit] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def build_tree() -> Tree:
    """Provinces p1, p2; communes c11, c12, c21, c22; agencies ubnd.p1 > so.p1 > so.p1.chi-cuc, ubnd.c11, ...; users."""
    t = Tree()
    for p in ("1", "2"):
        province = t.units[f"p{p}"] = make_unit(f"9{p}", f"Tỉnh Thử {p}", "province")
        committee = t.agencies[f"ubnd.p{p}"] = make_agency(
            f"ubnd.p{p}", f"UBND Tỉnh Thử {p}", "province_committee", province
        )
        dept = t.agencies[f"so.p{p}"] = make_agency(
            f"so.p{p}", f"Sở Nội vụ Tỉnh Thử {p}", "department", province, committee
        )
        t.agencies[f"so.p{p}.chi-cuc"] = make_agency(
            f"so.p{p}.chi-cuc", f"Chi cục Văn thư Tỉnh Thử {p}", "department", province, dept
        )
        for c in ("1", "2"):
            commune = t.units[f"c{p}{c}"] = make_unit(f"9{p}0{c}", f"Xã Thử {p}{c}", "commune", province)
            t.agencies[f"ubnd.c{p}{c}"] = make_agency(
                f"ubnd.c{p}{c}", f"UBND Xã Thử {p}{c}", "commune_committee", commune
            )
    a, u = t.agencies, t.units
    t.users = {
        "counter_c11": make_user("counter_c11", Role.COUNTER_STAFF, agency=a["ubnd.c11"]),
        "officer_so1": make_user("officer_so1", Role.OFFICER, agency=a["so.p1"]),
        "head_so1": make_user("head_so1", Role.AGENCY_HEAD, agency=a["so.p1"]),
        "analyst_c12": make_user("analyst_c12", Role.ANALYST, unit=u["c12"]),
        "admin_p1": make_user("admin_p1", Role.PROVINCE_ADMIN, unit=u["p1"], is_staff=True),
        "admin_p2": make_user("admin_p2", Role.PROVINCE_ADMIN, unit=u["p2"], is_staff=True),
        "auditor_p1": make_user("auditor_p1", Role.AUDITOR, unit=u["p1"], is_staff=True),
        "national": make_user("national", Role.NATIONAL_ADMIN, is_staff=True),
        "nobody": make_user("nobody"),
    }
    return t
