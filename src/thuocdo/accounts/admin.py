"""Administration of staff accounts, scoped: a province administrator sees and manages only their province.

`ScopedModelAdmin` brings the same scoping to any other app's admin (see its docstring).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from thuocdo.accounts import selectors
from thuocdo.accounts.models import RoleAssignment, User
from thuocdo.audit.admin import AuditedModelAdmin
from thuocdo.audit.services import record_change


class RoleAssignmentFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Every new or edited role must be one the acting administrator may grant."""

    actor: Any = None

    def clean(self) -> None:
        super().clean()
        kept = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                if form.instance.pk:
                    problem = self._problem(form.instance.role, form.instance.unit, form.instance.agency)
                    if problem:
                        raise ValidationError(problem)
                continue
            kept += 1
            if form.has_changed():
                data = form.cleaned_data
                problem = self._problem(data.get("role"), data.get("unit"), data.get("agency"))
                if problem:
                    form.add_error(None, problem)
        if kept == 0 and not selectors.scope_for(self.actor, selectors.MANAGE_USERS).national:
            # A user without any role would drop out of this administrator's scope at once.
            raise ValidationError(_("Phải phân ít nhất một vai trò trong phạm vi quản lý của bạn."))

    def _problem(self, role: Any, unit: Any, agency: Any) -> str | None:
        return selectors.grant_problem(self.actor, role=role or "", unit=unit, agency=agency)


class RoleAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    formset = RoleAssignmentFormSet
    fields = ("role", "unit", "agency", "granted_at")
    readonly_fields = ("granted_at",)
    extra = 1
    verbose_name = gettext_lazy("vai trò")
    verbose_name_plural = gettext_lazy("Vai trò và phạm vi")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.actor = request.user  # type: ignore[attr-defined]
        return formset

    def get_autocomplete_fields(self, request: HttpRequest) -> Any:
        # A national administrator chooses among thousands of units: search instead of a huge select, when the
        # units admin offers search. Scoped administrators keep a select that lists only what they may grant.
        if not selectors.scope_for(request.user, selectors.MANAGE_USERS).national:
            return ()
        return tuple(
            name
            for name in ("unit", "agency")
            if getattr(self.admin_site._registry.get(self._related(name)), "search_fields", None)
        )

    def _related(self, name: str) -> Any:
        return RoleAssignment._meta.get_field(name).related_model

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scope = selectors.scope_for(request.user, selectors.MANAGE_USERS)
        related = db_field.related_model._default_manager.order_by("path")
        if db_field.name == "agency":
            kwargs["queryset"] = scope.agencies(related) if not scope.is_empty else related.none()
        elif db_field.name == "unit":
            # Roles are scoped to today's units; pre-2025 units only carry history.
            current = related.filter(structure="2025")
            kwargs["queryset"] = scope.units(current) if not scope.is_empty else related.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    inlines = (RoleAssignmentInline,)
    list_display = ("username", "full_name", "email", "is_staff", "is_active", "last_login")
    search_fields = ("username", "full_name", "email")
    list_filter = ("is_staff", "is_active", "role_assignments__role")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("Thông tin cá nhân"), {"fields": ("full_name", "email", "phone")}),
        (
            gettext_lazy("Quyền truy cập"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (gettext_lazy("Thời điểm"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    audit_masked_fields = ("password",)

    def get_queryset(self, request: HttpRequest) -> Any:
        # Administrators manage the users in their scope; auditors may read the same list without changing it.
        if selectors.can(request.user, selectors.MANAGE_USERS):
            return selectors.users_manageable_by(request.user)
        return selectors.users_manageable_by(request.user, selectors.VIEW_AUDIT)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            # Only a superuser can make a superuser or hand out raw permissions; roles are the way for everyone else.
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            target = self.get_queryset(request).get(pk=id)
            record_change(actor=request.user, action="admin.set_password", obj=target)
        return response


class ScopedModelAdmin(AuditedModelAdmin):
    """An audited ModelAdmin that shows each user only the rows in their scope and lets them change only those.

    Set one of:
      scope_node = "agency" | "unit"   for Agency / AdminUnit themselves,
      scope_agency_field = "agency"    and/or scope_unit_field = "unit" for rows pointing at them.
    Rows are listed within the VIEW scope and changed within the CHANGE scope (actions from accounts.selectors).
    """

    scope_node: str | None = None
    scope_agency_field: str | None = None
    scope_unit_field: str | None = None
    scope_view_action: str = selectors.VIEW_NONPUBLIC
    scope_change_action: str = selectors.MANAGE_CONFIG

    def _narrow(self, qs: Any, scope: selectors.Scope) -> Any:
        if scope.national:
            return qs
        if scope.is_empty:
            return qs.none()
        if self.scope_node == "agency":
            return scope.agencies(qs)
        if self.scope_node == "unit":
            return scope.units(qs)
        return scope.filter(qs, agency_field=self.scope_agency_field, unit_field=self.scope_unit_field)

    def get_queryset(self, request: HttpRequest) -> Any:
        return self._narrow(
            super().get_queryset(request), selectors.scope_for(request.user, self.scope_view_action)
        )

    def _in_change_scope(self, request: HttpRequest, obj: Any) -> bool:
        scope = selectors.scope_for(request.user, self.scope_change_action)
        return bool(self._narrow(self.model._default_manager.filter(pk=obj.pk), scope).exists())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._in_change_scope(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._in_change_scope(request, obj))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        label = db_field.related_model._meta.label_lower
        if label in ("units.agency", "units.adminunit") and "queryset" not in kwargs:
            scope = selectors.scope_for(request.user, self.scope_change_action)
            qs = db_field.related_model._default_manager.all()
            if scope.is_empty:
                kwargs["queryset"] = qs.none()
            elif label == "units.agency":
                kwargs["queryset"] = scope.agencies(qs)
            else:
                kwargs["queryset"] = scope.units(qs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
