"""Reads about accounts: the permission model (re-exported from permissions.py) and querysets narrowed by it.

The units app sits above accounts in the layering, so this module never imports it: unit and
agency models are reached through the foreign keys of RoleAssignment (string references).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from thuocdo.accounts.models import RoleAssignment, User
from thuocdo.accounts.permissions import (
    ACTIONS,
    APPROVE_APOLOGY,
    ENTER_DATA,
    HANDLE_FEEDBACK,
    MANAGE_CONFIG,
    MANAGE_USERS,
    PUBLISH,
    ROLE_ACTIONS,
    RUN_REPORTS,
    VIEW_AUDIT,
    VIEW_NONPUBLIC,
    VIEW_SURVEY_ANSWERS,
    WRITE_ACTIONS,
    Scope,
    assignments_of,
    can,
    describe_scope,
    grant_problem,
    is_official,
    roles_of,
    scope_for,
)

__all__ = [
    "ACTIONS",
    "APPROVE_APOLOGY",
    "ENTER_DATA",
    "HANDLE_FEEDBACK",
    "MANAGE_CONFIG",
    "MANAGE_USERS",
    "PUBLISH",
    "ROLE_ACTIONS",
    "RUN_REPORTS",
    "VIEW_AUDIT",
    "VIEW_NONPUBLIC",
    "VIEW_SURVEY_ANSWERS",
    "WRITE_ACTIONS",
    "Scope",
    "agency_in_scope",
    "agency_model",
    "assignment_in_scope_q",
    "assignments_at_agency",
    "assignments_of",
    "can",
    "describe_scope",
    "grant_problem",
    "is_official",
    "roles_of",
    "scope_for",
    "unit_model",
    "users_manageable_by",
    "visible_agencies",
]


# Models reached through RoleAssignment's foreign keys (see the module docstring).


def agency_model() -> type[models.Model]:
    """The units.Agency model."""
    return RoleAssignment._meta.get_field("agency").related_model  # type: ignore[return-value]


def unit_model() -> type[models.Model]:
    """The units.AdminUnit model."""
    return RoleAssignment._meta.get_field("unit").related_model  # type: ignore[return-value]


def visible_agencies(user: Any, action: str | None = None) -> QuerySet[Any]:
    """Agencies inside the user's scope, in tree order."""
    scope = scope_for(user, action)
    qs = agency_model()._default_manager.select_related("admin_unit").order_by("path", "id")
    if scope.is_empty:
        return qs.none()
    return scope.agencies(qs)


def agency_in_scope(user: Any, code: str, action: str | None = None) -> Any | None:
    """The agency with this code if the user may see it, else None (callers answer 404 either way)."""
    return visible_agencies(user, action).filter(code=code).first()


def assignments_at_agency(agency: Any) -> QuerySet[RoleAssignment]:
    """Role assignments made directly on an agency, for the agency's staff list."""
    return (
        RoleAssignment.objects.filter(agency=agency).select_related("user").order_by("role", "user__username")
    )


# Administration of accounts ----------------------------------------------------------------


def assignment_in_scope_q(scope: Scope) -> Q:
    """A filter on RoleAssignment: the assignment's own subtree lies inside `scope`."""
    if scope.national:
        return Q()
    by_agency = Q(agency__isnull=False) & scope.agency_q("agency__")
    by_unit = Q(unit__isnull=False) & scope.unit_q("unit__")
    return by_agency | by_unit


def users_manageable_by(actor: Any, action: str = MANAGE_USERS) -> QuerySet[User]:
    """Users within the actor's `action` scope: everyone if national, else non-superusers whose every role lies inside."""
    scope = scope_for(actor, action)
    qs = User.objects.all()
    if scope.national:
        return qs
    if scope.is_empty:
        return qs.none()
    outside = RoleAssignment.objects.exclude(assignment_in_scope_q(scope)).values("user_id")
    # Subqueries rather than a join: no duplicate rows, so no distinct(), so the admin's bulk delete still works.
    with_roles = RoleAssignment.objects.values("user_id")
    return qs.filter(is_superuser=False, pk__in=with_roles).exclude(pk__in=outside)
