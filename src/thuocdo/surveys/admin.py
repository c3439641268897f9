"""Admin for configuration only. Responses and per-dossier ratings are deliberately not registered:
individual answers are never browsable, and rating comments are shown only where the citizen agreed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from thuocdo.surveys.models import Campaign, InstrumentVersion, Kiosk


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin[InstrumentVersion]):
    list_display = ["code", "version", "status", "effective_from", "origin"]
    list_filter = ["status", "origin"]
    readonly_fields = [
        "code",
        "version",
        "status",
        "title",
        "effective_from",
        "document",
        "content_hash",
        "origin",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from the shipped files or an XLSForm import, never typed in

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["slug", "name", "instrument", "status", "starts_on", "ends_on", "sample_size"]
    list_filter = ["status"]
    filter_horizontal = ["agencies"]
    readonly_fields = ["seed", "population", "sample_size", "excluded_flags", "status"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin[Kiosk]):
    list_display = ["agency", "counter", "campaign", "mode", "active"]
    list_filter = ["mode", "active"]
    fields = ["agency", "counter", "campaign", "mode", "reset_seconds", "active"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `thuocdo campaigns kiosk` creates one and shows its key once
