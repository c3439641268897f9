"""Admin for 766 rule sets (validated JSON, audited) and hand-entered figures (1.4, 4.6)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from thuocdo.accounts.selectors import MANAGE_CONFIG, can
from thuocdo.audit.admin import AuditedModelAdmin
from thuocdo.indices.models import ReportedFigure, RuleSet


def _may_configure(request: HttpRequest, obj: Any = None) -> bool:
    # Rule sets are regulated parameters: province and national administrators only.
    return bool(request.user.is_superuser or can(request.user, MANAGE_CONFIG))


class RuleSetForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RuleSet
        fields = ["document", "active"]
        widgets = {"document": forms.Textarea(attrs={"rows": 30, "class": "vLargeTextField"})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        doc = data.get("document")
        if isinstance(doc, str):
            try:
                data["document"] = json.loads(doc)
            except json.JSONDecodeError as exc:
                self.add_error("document", _("JSON không hợp lệ: %(e)s") % {"e": exc})
        return data


@admin.register(RuleSet)
class RuleSetAdmin(AuditedModelAdmin):
    form = RuleSetForm
    list_display = ("code", "name", "effective_from", "effective_to", "active", "updated_at")
    list_filter = ("active",)
    readonly_fields = ("code", "name", "effective_from", "effective_to", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_configure(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_configure(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_configure(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_configure(request, obj) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_configure(request) or super().has_module_permission(request)


@admin.register(ReportedFigure)
class ReportedFigureAdmin(AuditedModelAdmin):
    list_display = ("indicator", "agency", "month", "numerator", "denominator", "entered_by", "updated_at")
    list_filter = ("indicator", "month")
    search_fields = ("agency__code", "agency__name")
    autocomplete_fields = ("agency",)
    readonly_fields = ("entered_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
