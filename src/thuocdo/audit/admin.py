"""Admin integration: every add, change and delete made in the admin lands in the audit log.

Use `AuditedModelAdmin` as the base (or a mixin placed before `admin.ModelAdmin`) of every ModelAdmin:

    @admin.register(Procedure)
    class ProcedureAdmin(AuditedModelAdmin):
        ...

Entries are named `admin.create` / `admin.update` / `admin.delete`, carry the changed fields with their old
and new values (secrets masked) and commit in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import BaseFormSet, BaseModelForm
from django.http import HttpRequest

from thuocdo.audit.models import AuditEntry
from thuocdo.audit.services import record_change

MASK = "***"
ALWAYS_MASKED = frozenset({"password", "password1", "password2", "secret", "token", "api_key"})


def _plain(value: Any) -> Any:
    # Rows are recorded as their id (what survives the row) plus their label (what a reader recognises).
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)[:200]}
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if hasattr(value, "name") and hasattr(value, "url"):  # a FieldFile
        return value.name or ""
    return value


def _snapshot(obj: models.Model, masked: frozenset[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        fields[field.name] = MASK if field.name in masked and value else _plain(value)
    return fields


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose every create, update and delete (inlines and bulk deletes too) is audited."""

    #: Field names whose values are never written to the log (the fact that they changed still is).
    audit_masked_fields: Iterable[str] = ()

    def _masked(self) -> frozenset[str]:
        return ALWAYS_MASKED | frozenset(self.audit_masked_fields)

    def _changes(self, form: BaseModelForm[Any], *, change: bool) -> dict[str, Any]:
        masked = self._masked()
        changes: dict[str, Any] = {}
        for name in form.changed_data:
            new = form.cleaned_data.get(name)
            old = form.initial.get(name) if change else None
            if name in masked:
                changes[name] = {"old": MASK if old else "", "new": MASK if new else ""}
            elif change:
                changes[name] = {"old": _plain(old), "new": _plain(new)}
            else:
                changes[name] = {"new": _plain(new)}
        return changes

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_change(
            actor=request.user,
            action="admin.update" if change else "admin.create",
            obj=obj,
            data={"fields": self._changes(form, change=change)},
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        masked = self._masked()
        # Deleting a row clears its pk, so the rows about to go are captured before the formsets are saved.
        doomed = [
            [
                (f.instance, f.instance.pk, _snapshot(f.instance, masked))
                for f in fs.deleted_forms
                if f.instance.pk
            ]
            for fs in formsets
        ]
        super().save_related(request, form, formsets, change)
        parent = form.instance
        parent_ref = {"type": parent._meta.label_lower, "id": parent.pk}
        for formset, deleted in zip(formsets, doomed, strict=True):
            self._record_formset(request, formset, parent_ref, deleted)

    def _record_formset(
        self,
        request: HttpRequest,
        formset: BaseFormSet[Any],
        parent_ref: dict[str, Any],
        deleted: list[tuple[Any, Any, dict[str, Any]]],
    ) -> None:
        new_objects = set(map(id, getattr(formset, "new_objects", [])))
        for inline_form in formset.forms:
            obj = inline_form.instance
            if id(obj) in new_objects:
                record_change(
                    actor=request.user,
                    action="admin.create",
                    obj=obj,
                    data={"parent": parent_ref, "fields": self._changes(inline_form, change=False)},
                )
        for obj, _changed in getattr(formset, "changed_objects", []):
            inline_form = next((f for f in formset.forms if f.instance is obj), None)
            fields = self._changes(inline_form, change=True) if inline_form is not None else {}
            record_change(
                actor=request.user,
                action="admin.update",
                obj=obj,
                data={"parent": parent_ref, "fields": fields},
            )
        gone = set(map(id, getattr(formset, "deleted_objects", [])))
        for obj, pk, fields in deleted:
            if id(obj) in gone:
                record_change(
                    actor=request.user,
                    action="admin.delete",
                    obj=obj,
                    object_id=str(pk),
                    data={"parent": parent_ref, "fields": fields},
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Recorded first: after the delete the row's id and fields are gone.
        record_change(
            actor=request.user,
            action="admin.delete",
            obj=obj,
            data={"fields": _snapshot(obj, self._masked())},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        masked = self._masked()
        for obj in queryset:
            record_change(
                actor=request.user, action="admin.delete", obj=obj, data={"fields": _snapshot(obj, masked)}
            )
        super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The log, read-only for everyone: nobody may add, change or delete an entry here."""

    list_display = ("seq", "at", "actor", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor", "object_id", "summary", "action")
    date_hierarchy = "at"
    ordering = ("-seq",)
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = (
        "seq",
        "at",
        "actor_id",
        "actor",
        "action",
        "object_type",
        "object_id",
        "summary",
        "data",
        "prev_hash",
        "hash",
    )
    fields = readonly_fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
