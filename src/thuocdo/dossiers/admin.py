"""Admin: read-only dossiers, source systems, and the quarantine where an operator fixes and replays records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from thuocdo.dossiers import services
from thuocdo.dossiers.models import ApologyLetter, Dossier, DossierStep, Quarantine, SourceSystem


class ReadOnlyMixin:
    """Rows written only by ingestion: viewable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "active", "created_at"]
    readonly_fields = ["key_prefix", "created_at"]
    fields = ["name", "active", "key_prefix", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key is shown only once, on the command line: `thuocdo dossiers sources add NAME`.
        return False


class StepInline(ReadOnlyMixin, admin.TabularInline):
    model = DossierStep
    fields = ("seq", "officer", "title", "department", "status", "started_at", "due_at", "acted_at")
    readonly_fields = fields
    extra = 0


@admin.register(Dossier)
class DossierAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "procedure_code",
        "agency_code",
        "channel",
        "status",
        "received_at",
        "timeliness",
        "source",
    ]
    list_filter = ["status", "channel", "timeliness", "source"]
    search_fields = ["code", "procedure_code", "agency_code"]
    date_hierarchy = "received_at"
    inlines = [StepInline]
    show_full_result_count = False


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "state", "location", "record", "first_error", "source", "created_at"]
    list_filter = ["state", "kind", "source"]
    search_fields = ["record", "location", "batch"]
    readonly_fields = [
        "kind",
        "state",
        "batch",
        "location",
        "record",
        "errors",
        "source",
        "created_at",
        "updated_at",
    ]
    fields = ["raw", *readonly_fields]
    actions = ["replay", "discard"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("lỗi đầu tiên"))
    def first_error(self, obj: Quarantine) -> str:
        if not obj.errors:
            return ""
        first = obj.errors[0]
        return f"«{first.get('field', '')}» {first.get('message', '')}"

    def save_model(self, request: HttpRequest, obj: Quarantine, form: Any, change: bool) -> None:
        try:
            services.fix_quarantined(item=obj, raw=form.cleaned_data["raw"], actor=request.user)
        except ValueError as exc:
            messages.error(request, _("Nội dung không phải JSON hợp lệ: %(error)s") % {"error": exc})

    @admin.action(description=_("Nạp lại các bản ghi đã chọn"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Quarantine]) -> None:
        report = services.replay_quarantined(
            items=queryset.order_by("id"), now=timezone.now(), actor=request.user
        )
        done = report.accepted + report.duplicates + report.stale
        messages.info(
            request,
            _("Đã nạp lại %(done)d bản ghi; %(failed)d vẫn còn lỗi.")
            % {"done": done, "failed": len(report.rejected)},
        )

    @admin.action(description=_("Loại bỏ các bản ghi đã chọn"))
    def discard(self, request: HttpRequest, queryset: QuerySet[Quarantine]) -> None:
        for item in queryset:
            services.discard_quarantined(item=item, actor=request.user)


@admin.register(ApologyLetter)
class ApologyLetterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Letters are issued from the dossier page (numbered, audited); here they are only looked up."""

    list_display = ("number", "dossier", "agency", "issued_at", "new_due_at", "notified")
    list_filter = ("year", "notified")
    search_fields = ("number", "dossier__code", "applicant")
    date_hierarchy = "issued_at"
