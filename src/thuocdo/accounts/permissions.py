"""The permission model: what each role may do, and the subtree of units and agencies it covers.

A role assignment covers a subtree: an administrative unit and everything below it, an agency and
its sub-agencies, or (neither) the whole nation. Units and agencies carry a materialised `path`
("/12/340/"), so "inside this subtree" is a prefix match on any database engine.

Import it through `thuocdo.accounts.selectors` (which re-exports it with the queries built on it); it is
a module of its own only so that accounts.services can apply the same rules without importing selectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from thuocdo.accounts.models import Role, RoleAssignment

M = TypeVar("M", bound=models.Model)

# What each role may do, as business actions. docs/security.md renders this table for people;
# tests/accounts/test_permissions.py pins it.
ENTER_DATA = "enter_data"  # dossiers, feedback and paper surveys for one's agency
HANDLE_FEEDBACK = "handle_feedback"
VIEW_NONPUBLIC = "view_nonpublic"
RUN_REPORTS = "run_reports"
VIEW_SURVEY_ANSWERS = "view_survey_answers"  # individual (anonymous) answers, not only aggregates
APPROVE_APOLOGY = "approve_apology"
PUBLISH = "publish"
MANAGE_USERS = "manage_users"
MANAGE_CONFIG = "manage_config"  # agencies, catalogue, rule sets, calendars
VIEW_AUDIT = "view_audit"

ACTIONS: tuple[str, ...] = (
    ENTER_DATA,
    HANDLE_FEEDBACK,
    VIEW_NONPUBLIC,
    RUN_REPORTS,
    VIEW_SURVEY_ANSWERS,
    APPROVE_APOLOGY,
    PUBLISH,
    MANAGE_USERS,
    MANAGE_CONFIG,
    VIEW_AUDIT,
)
# Actions that change data; an auditor has none of them.
WRITE_ACTIONS = frozenset(
    {ENTER_DATA, HANDLE_FEEDBACK, APPROVE_APOLOGY, PUBLISH, MANAGE_USERS, MANAGE_CONFIG}
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.COUNTER_STAFF: frozenset({ENTER_DATA, VIEW_NONPUBLIC}),
    Role.OFFICER: frozenset({ENTER_DATA, HANDLE_FEEDBACK, VIEW_NONPUBLIC}),
    Role.ANALYST: frozenset({VIEW_NONPUBLIC, RUN_REPORTS, VIEW_SURVEY_ANSWERS}),
    Role.AGENCY_HEAD: frozenset(
        {VIEW_NONPUBLIC, RUN_REPORTS, VIEW_SURVEY_ANSWERS, HANDLE_FEEDBACK, APPROVE_APOLOGY, PUBLISH}
    ),
    Role.PROVINCE_ADMIN: frozenset(
        {VIEW_NONPUBLIC, RUN_REPORTS, VIEW_SURVEY_ANSWERS, PUBLISH, MANAGE_USERS, MANAGE_CONFIG, VIEW_AUDIT}
    ),
    Role.NATIONAL_ADMIN: frozenset(ACTIONS),
    Role.AUDITOR: frozenset({VIEW_NONPUBLIC, RUN_REPORTS, VIEW_AUDIT}),
}


def _clean_paths(paths: Iterable[str]) -> frozenset[str]:
    # An empty path would prefix-match every row: a unit whose path was never filled grants nothing.
    return frozenset(p for p in paths if p and p.startswith("/") and p.endswith("/"))


@dataclass(frozen=True)
class Scope:
    """The part of the tree a user may see: unit subtrees, agency subtrees, or the whole nation."""

    national: bool = False
    unit_paths: frozenset[str] = frozenset()
    agency_paths: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, *, national: bool = False, unit_paths: Iterable[str] = (), agency_paths: Iterable[str] = ()
    ) -> Scope:
        """Build a scope, dropping blank or malformed paths."""
        return cls(
            national=national, unit_paths=_clean_paths(unit_paths), agency_paths=_clean_paths(agency_paths)
        )

    @property
    def is_empty(self) -> bool:
        """True when the scope covers nothing at all."""
        return not (self.national or self.unit_paths or self.agency_paths)

    def union(self, other: Scope) -> Scope:
        """Everything either scope covers."""
        return Scope(
            national=self.national or other.national,
            unit_paths=self.unit_paths | other.unit_paths,
            agency_paths=self.agency_paths | other.agency_paths,
        )

    # Q objects -----------------------------------------------------------------------------

    def unit_q(self, prefix: str = "") -> Q:
        """A filter on an AdminUnit (or the AdminUnit reached through `prefix`, e.g. "admin_unit__")."""
        if self.national:
            return Q()
        return _any_prefix(f"{prefix}path__startswith", self.unit_paths)

    def agency_q(self, prefix: str = "") -> Q:
        """A filter on an Agency: inside an agency subtree, or located in a unit subtree."""
        if self.national:
            return Q()
        return _any_prefix(f"{prefix}path__startswith", self.agency_paths) | _any_prefix(
            f"{prefix}admin_unit__path__startswith", self.unit_paths
        )

    # Querysets -----------------------------------------------------------------------------

    def units(self, qs: QuerySet[M]) -> QuerySet[M]:
        """Narrow a queryset of AdminUnit to this scope."""
        return qs if self.national else qs.filter(self.unit_q())

    def agencies(self, qs: QuerySet[M]) -> QuerySet[M]:
        """Narrow a queryset of Agency to this scope."""
        return qs if self.national else qs.filter(self.agency_q())

    def filter(
        self, qs: QuerySet[M], *, agency_field: str | None = None, unit_field: str | None = None
    ) -> QuerySet[M]:
        """Narrow any queryset through its FK to an Agency and/or an AdminUnit (a row matches if either does)."""
        if agency_field is None and unit_field is None:
            raise ValueError("Scope.filter needs agency_field or unit_field")
        if self.national:
            return qs
        q = Q(pk__in=[])
        if agency_field:
            q |= self.agency_q(f"{agency_field}__")
        if unit_field:
            q |= self.unit_q(f"{unit_field}__")
        return qs.filter(q)

    # Single objects ------------------------------------------------------------------------

    def contains_unit(self, unit: Any) -> bool:
        """Whether one AdminUnit lies inside this scope."""
        if self.national:
            return True
        return unit is not None and _under(unit.path, self.unit_paths)

    def contains_agency(self, agency: Any) -> bool:
        """Whether one Agency lies inside this scope."""
        if self.national:
            return True
        if agency is None:
            return False
        if _under(agency.path, self.agency_paths):
            return True
        unit = agency.admin_unit
        return unit is not None and _under(unit.path, self.unit_paths)

    def contains(self, target: Any) -> bool:
        """Whether an Agency, an AdminUnit, or a row that points to one lies inside this scope; None means national."""
        if target is None:
            return self.national
        label = target._meta.label_lower if isinstance(target, models.Model) else ""
        if label == "units.agency":
            return self.contains_agency(target)
        if label == "units.adminunit":
            return self.contains_unit(target)
        if self.national:
            return True
        for attr in ("agency", "unit", "admin_unit"):
            related = getattr(target, attr, None)
            if related is not None and self.contains(related):
                return True
        return False

    def covers_assignment(self, assignment: RoleAssignment) -> bool:
        """Whether a role assignment's own scope lies wholly inside this scope."""
        if self.national:
            return True
        if assignment.agency_id is not None:
            return self.contains_agency(assignment.agency)
        if assignment.unit_id is not None:
            return self.contains_unit(assignment.unit)
        return False  # a national assignment is inside no narrower scope


def _any_prefix(lookup: str, paths: frozenset[str]) -> Q:
    if not paths:
        return Q(pk__in=[])  # matches nothing, unlike an empty Q()
    return reduce(or_, (Q(**{lookup: p}) for p in sorted(paths)))


def _under(path: str, roots: frozenset[str]) -> bool:
    return bool(path) and any(path.startswith(root) for root in roots)


# Users and their assignments ---------------------------------------------------------------


def assignments_of(user: Any) -> list[RoleAssignment]:
    """The user's role assignments, with their unit and agency loaded."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cache = getattr(user, "_thuocdo_assignments", None)
    if cache is None:
        cache = list(
            RoleAssignment.objects.filter(user=user)
            .select_related("unit", "agency", "agency__admin_unit")
            .order_by("role", "id")
        )
        user._thuocdo_assignments = cache
    return cache


def _assignment_scope(assignment: RoleAssignment) -> Scope:
    if assignment.agency is not None:
        return Scope.of(agency_paths=[assignment.agency.path])
    if assignment.unit is not None:
        return Scope.of(unit_paths=[assignment.unit.path])
    return Scope(national=True)


def scope_for(user: Any, action: str | None = None) -> Scope:
    """The union of the user's assignments (only those whose role allows `action`, if given); superusers are national."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(national=True)
    if action is not None and action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    scope = Scope()
    for assignment in assignments_of(user):
        if action is None or action in ROLE_ACTIONS.get(assignment.role, frozenset()):
            scope = scope.union(_assignment_scope(assignment))
    return scope


def can(user: Any, action: str, target: Any = None) -> bool:
    """Whether the user may do `action` on `target` (an Agency, AdminUnit, a row pointing to one, or None = anywhere)."""
    scope = scope_for(user, action)
    if scope.is_empty:
        return False
    if target is None:
        return True
    return scope.contains(target)


def roles_of(user: Any) -> set[str]:
    """The role codes the user holds anywhere."""
    return {a.role for a in assignments_of(user)}


def is_official(user: Any) -> bool:
    """Whether the user is signed-in staff with at least one role (or a superuser)."""
    return bool(user is not None and user.is_authenticated and (user.is_superuser or assignments_of(user)))


def describe_scope(assignment: RoleAssignment) -> str:
    """The scope of an assignment in words."""
    if assignment.agency_id is not None:
        return str(assignment.agency)
    if assignment.unit_id is not None:
        return str(assignment.unit)
    return _("Toàn quốc")


def grant_problem(actor: Any, *, role: str, unit: Any = None, agency: Any = None) -> str | None:
    """Why the actor may not grant this role over this scope, or None if they may."""
    scope = scope_for(actor, MANAGE_USERS)
    if scope.is_empty:
        return _("Bạn không có quyền quản lý tài khoản.")
    if unit is not None and agency is not None:
        return _("Chỉ chọn một phạm vi: địa bàn hoặc cơ quan.")
    if scope.national:
        return None
    if role == Role.NATIONAL_ADMIN:
        return _("Chỉ quản trị cấp quốc gia mới được cấp vai trò quản trị cấp quốc gia.")
    if unit is None and agency is None:
        return _("Phải chọn địa bàn hoặc cơ quan thuộc phạm vi quản lý của bạn.")
    inside = scope.contains_agency(agency) if agency is not None else scope.contains_unit(unit)
    if not inside:
        return _("Phạm vi được chọn nằm ngoài phạm vi quản lý của bạn.")
    return None
