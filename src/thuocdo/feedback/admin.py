from django.contrib import admin

from thuocdo.audit.admin import AuditedModelAdmin
from thuocdo.feedback import services
from thuocdo.feedback.models import FeedbackCategory, Open311Client, RoutingRule, Submission, SubmissionEvent


@admin.register(FeedbackCategory)
class FeedbackCategoryAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "classification", "is_active", "order")
    list_filter = ("classification", "is_active")
    search_fields = ("code", "name")


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    list_display = ("category", "admin_unit", "agency")
    list_filter = ("category",)
    autocomplete_fields = ("admin_unit", "agency")


class SubmissionEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SubmissionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("event", "at", "from_state", "to_state", "from_agency", "to_agency", "actor", "note")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Submission)
class SubmissionAdmin(AuditedModelAdmin):
    """Read-mostly: handling happens in the officials' pages so the state machine is always applied."""

    list_display = ("tracking_code", "title", "category", "agency", "state", "submitted_at", "handle_by")
    list_filter = ("state", "channel", "category")
    search_fields = ("tracking_code", "title", "dossier_code")
    date_hierarchy = "submitted_at"
    readonly_fields = tuple(
        f.name for f in Submission._meta.concrete_fields if f.name not in ("is_spam", "answer_public")
    )
    inlines = (SubmissionEventInline,)

    # Spam is judged here; the monthly 5.x cells of the submission's month follow at once.
    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        services.refresh_monthly_cells(keys=services.cell_keys(obj))

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        keys = _touched_by_deleting([obj])
        super().delete_model(request, obj)
        services.refresh_monthly_cells(keys=keys)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        keys = _touched_by_deleting(list(queryset))
        super().delete_queryset(request, queryset)
        services.refresh_monthly_cells(keys=keys)


def _touched_by_deleting(doomed: list[Submission]) -> services.CellKeys:
    # Duplicates of a deleted submission lose their `duplicate_of` (SET_NULL) and start to count.
    orphans = Submission.objects.filter(duplicate_of__in=doomed)
    return {k for s in [*doomed, *orphans] for k in services.cell_keys(s)}


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedModelAdmin):
    list_display = ("name", "is_active", "created_at")
    readonly_fields = ("key_hash", "created_at")
    audit_masked_fields = ("key_hash",)
