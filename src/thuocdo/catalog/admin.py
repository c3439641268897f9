from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from thuocdo.audit.services import record_change
from thuocdo.catalog.models import Procedure, ProcedureField


class LevelFilter(admin.SimpleListFilter):
    title = _("cấp thực hiện")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Procedure.Level.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> QuerySet[Procedure]:
        if self.value() in Procedure.Level.values:
            return queryset.filter(levels__icontains=f'"{self.value()}"')
        return queryset


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Edits made in the admin are configuration changes: each one goes to the audit log."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_change(
            actor=request.user,
            action=f"catalog.{'change' if change else 'add'}_{obj._meta.model_name}",
            obj=obj,
            data={"changed": list(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_change(actor=request.user, action=f"catalog.delete_{obj._meta.model_name}", obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            record_change(actor=request.user, action=f"catalog.delete_{obj._meta.model_name}", obj=obj)
        super().delete_queryset(request, queryset)


@admin.register(ProcedureField)
class ProcedureFieldAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Procedure)
class ProcedureAdmin(AuditedAdmin):
    list_display = ["code", "name", "field", "time_limit", "time_limit_unit", "online_level", "fee_bearing"]
    list_filter = [
        LevelFilter,
        "online_level",
        "full_online_eligible",
        "fee_bearing",
        "time_limit_unit",
        "issues_paper_result",
        "citizen_subject",
        "field",
    ]
    search_fields = ["code", "name", "search_name"]
    list_select_related = ["field"]
    autocomplete_fields = ["field"]
    filter_horizontal = ["agencies"]
    readonly_fields = ["search_name"]
    date_hierarchy = "published_on"
