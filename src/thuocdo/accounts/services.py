"""Changes to accounts: roles granted and revoked, sessions ended. Each change is audited."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

from thuocdo.accounts.models import RoleAssignment, User
from thuocdo.accounts.permissions import describe_scope, grant_problem
from thuocdo.audit.services import record_change

DB_SESSION_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def sign_out_everywhere(*, user: User, keep_session_key: str | None = None) -> int:
    """End every session of the user except `keep_session_key`; return how many stored sessions were deleted.

    Bumping the epoch is what ends sessions on any backend (SessionEpochMiddleware compares it);
    deleting them from a database session store as well frees the rows and leaves nothing to replay.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    deleted = _delete_stored_sessions(user=user, keep_session_key=keep_session_key)
    record_change(
        actor=user,
        action="accounts.sign_out_everywhere",
        obj=user,
        data={"session_epoch": user.session_epoch, "sessions_deleted": deleted},
    )
    return deleted


def _delete_stored_sessions(*, user: User, keep_session_key: str | None) -> int:
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    deleted = 0
    # Session data is encoded, so the owner is only known after decoding each live session.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(
        session_key=keep_session_key or ""
    ):
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            store(session_key=session.session_key).delete()
            deleted += 1
    return deleted


def grant_role(*, actor: Any, user: User, role: str, unit: Any = None, agency: Any = None) -> RoleAssignment:
    """Give the user a role over a unit subtree, an agency subtree or (neither) the nation, if the actor may."""
    problem = grant_problem(actor, role=role, unit=unit, agency=agency)
    if problem:
        raise PermissionDenied(problem)
    assignment = RoleAssignment.objects.create(user=user, role=role, unit=unit, agency=agency)
    record_change(
        actor=actor,
        action="accounts.grant_role",
        obj=assignment,
        data={
            "user": user.get_username(),
            "role": role,
            "scope": describe_scope(assignment),
            "unit_id": assignment.unit_id,
            "agency_id": assignment.agency_id,
        },
    )
    return assignment


def revoke_role(*, actor: Any, assignment: RoleAssignment) -> None:
    """Take a role away, if the actor could have granted it."""
    problem = grant_problem(actor, role=assignment.role, unit=assignment.unit, agency=assignment.agency)
    if problem:
        raise PermissionDenied(problem)
    record_change(
        actor=actor,
        action="accounts.revoke_role",
        obj=assignment,
        data={
            "user": assignment.user.get_username(),
            "role": assignment.role,
            "scope": describe_scope(assignment),
        },
    )
    assignment.delete()


def note_password_change(*, user: User) -> None:
    """Record that the user changed their own password (never the password itself)."""
    record_change(actor=user, action="accounts.password_change", obj=user)
