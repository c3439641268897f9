"""Django model permissions derived from roles, so nobody has to hand out permissions one by one.

The admin site asks `user.has_perm("units.change_agency")`; this backend answers from the user's
role assignments. Permissions say which *kinds* of rows a role may touch; which *rows* is the
job of the scope (`accounts.selectors.scope_for`), which every ModelAdmin applies to its queryset.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission

from thuocdo.accounts.models import Role
from thuocdo.accounts.permissions import assignments_of

ALL = frozenset({"view", "add", "change", "delete"})
VIEW = frozenset({"view"})

# (app label, model name or "*", verbs). "*" as the verb set means every permission, custom ones included.
Rule = tuple[str, str, frozenset[str] | str]
ROLE_PERMISSION_RULES: dict[str, tuple[Rule, ...]] = {
    Role.NATIONAL_ADMIN: (("*", "*", "*"),),
    Role.PROVINCE_ADMIN: (
        ("accounts", "*", ALL),
        ("units", "*", ALL),
        ("catalog", "*", ALL),
        ("calendars", "*", ALL),
        ("indices", "*", ALL),
        ("surveys", "*", ALL),
        ("publication", "*", ALL),
        ("dossiers", "*", VIEW),
        ("feedback", "*", VIEW),
        ("audit", "*", VIEW),
    ),
    Role.AUDITOR: (("*", "*", VIEW),),
    Role.ANALYST: tuple(
        (app, "*", VIEW)
        for app in (
            "units",
            "catalog",
            "calendars",
            "dossiers",
            "surveys",
            "feedback",
            "indices",
            "publication",
        )
    ),
    Role.AGENCY_HEAD: tuple(
        (app, "*", VIEW)
        for app in (
            "units",
            "catalog",
            "calendars",
            "dossiers",
            "surveys",
            "feedback",
            "indices",
            "publication",
        )
    ),
    Role.OFFICER: (
        ("feedback", "*", frozenset({"view", "change"})),
        ("dossiers", "*", VIEW),
        ("units", "*", VIEW),
        ("catalog", "*", VIEW),
    ),
    Role.COUNTER_STAFF: (
        ("dossiers", "*", frozenset({"view", "add"})),
        ("feedback", "*", frozenset({"view", "add"})),
        ("surveys", "*", frozenset({"view", "add"})),
        ("units", "*", VIEW),
        ("catalog", "*", VIEW),
    ),
}
# Individual survey answers stay out of an auditor's reach even where the auditor may view everything else.
AUDITOR_HIDDEN_MODEL_WORDS = ("answer", "response", "submission")


def _split(perm: str) -> tuple[str, str, str] | None:
    app_label, _, codename = perm.partition(".")
    verb, _, model = codename.partition("_")
    if not app_label or not verb or not model:
        return None
    return app_label, verb, model


def _matches(rule: Rule, app_label: str, verb: str, model: str) -> bool:
    rule_app, rule_model, verbs = rule
    return rule_app in ("*", app_label) and rule_model in ("*", model) and (verbs == "*" or verb in verbs)


def role_allows(role: str, perm: str) -> bool:
    """Whether a role grants a Django permission string such as "units.change_agency"."""
    parts = _split(perm)
    if parts is None:
        return False
    app_label, verb, model = parts
    if (
        role == Role.AUDITOR
        and app_label == "surveys"
        and any(w in model for w in AUDITOR_HIDDEN_MODEL_WORDS)
    ):
        return False
    return any(_matches(rule, app_label, verb, model) for rule in ROLE_PERMISSION_RULES.get(role, ()))


class RolePermissionBackend:
    """An authorization-only backend: it never authenticates, it only answers permission questions."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> None:
        return None

    def _roles(self, user_obj: Any) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return {a.role for a in assignments_of(user_obj)}

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is not None:
            return False  # object-level checks belong to the scope, as with ModelBackend
        return any(role_allows(role, perm) for role in self._roles(user_obj))

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(
            rule[0] in ("*", app_label)
            for role in self._roles(user_obj)
            for rule in ROLE_PERMISSION_RULES.get(role, ())
        )

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None:
            return set()
        roles = self._roles(user_obj)
        if not roles:
            return set()
        cached: set[str] | None = getattr(user_obj, "_thuocdo_role_perm_cache", None)
        if cached is None:
            every = Permission.objects.values_list("content_type__app_label", "codename")
            cached = {
                f"{app}.{code}" for app, code in every if any(role_allows(r, f"{app}.{code}") for r in roles)
            }
            user_obj._thuocdo_role_perm_cache = cached
        return cached

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()
