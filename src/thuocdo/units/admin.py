from __future__ import annotations

from django.contrib import admin

from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock, UnitLineage


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin[AdminUnit]):
    list_display = ["code", "name", "level", "structure", "parent", "valid_from", "valid_to"]
    list_filter = ["structure", "level", "division_type"]
    search_fields = ["code", "name", "search_name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "search_name", "search_short"]
    list_select_related = ["parent"]
    show_full_result_count = False


@admin.register(UnitLineage)
class UnitLineageAdmin(admin.ModelAdmin[UnitLineage]):
    list_display = ["predecessor", "successor", "effective_on", "is_primary", "note"]
    list_filter = ["effective_on", "is_primary", "predecessor__level"]
    search_fields = [
        "predecessor__code",
        "predecessor__search_name",
        "successor__code",
        "successor__search_name",
    ]
    raw_id_fields = ["predecessor", "successor"]
    list_select_related = ["predecessor", "successor"]


@admin.register(ComparisonBlock)
class ComparisonBlockAdmin(admin.ModelAdmin[ComparisonBlock]):
    list_display = ["code", "name", "name_en", "order"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["code", "name", "kind", "block", "admin_unit", "parent"]
    list_filter = ["kind", "block"]
    search_fields = ["code", "name", "short_name", "search_name"]
    raw_id_fields = ["parent", "admin_unit"]
    readonly_fields = ["path", "search_name"]
    list_select_related = ["block", "admin_unit", "parent"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The code identifies the agency in imports, dossiers and published figures: fixed once created.
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from thuocdo.units import services

        # Route admin edits through the services so paths stay right and every change is audit-logged.
        data = {name: form.cleaned_data[name] for name in services.AGENCY_FIELDS if name in form.cleaned_data}
        if change:
            fresh = Agency.objects.get(pk=obj.pk)
            changes = {k: v for k, v in data.items() if getattr(fresh, k) != v}
            services.update_agency(actor=request.user, agency=fresh, **changes)
            obj.pk, obj.path = fresh.pk, fresh.path
        else:
            created = services.create_agency(actor=request.user, code=form.cleaned_data["code"], **data)
            obj.pk, obj.path = created.pk, created.path
