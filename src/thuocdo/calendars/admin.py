from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from thuocdo.calendars import selectors, services
from thuocdo.calendars.models import CalendarDay

_WEEKDAYS = (_("Thứ Hai"), _("Thứ Ba"), _("Thứ Tư"), _("Thứ Năm"), _("Thứ Sáu"), _("Thứ Bảy"), _("Chủ nhật"))


class YearFilter(admin.SimpleListFilter):
    title = _("năm")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(y), str(y)) for y in reversed(selectors.table_years())]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> QuerySet[CalendarDay]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    list_display = ["date", "weekday", "kind", "name_vi", "confidence"]
    list_filter = [YearFilter, "kind", "confidence"]
    search_fields = ["name_vi", "name_en", "source"]
    date_hierarchy = "date"
    ordering = ["-date"]
    readonly_fields = ["updated_at"]

    @admin.display(description=_("thứ"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(_WEEKDAYS[obj.date.weekday()])

    # Writes go through the services so that every change is audit-logged.
    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        values = {name: getattr(obj, name) for name in services.EDITABLE_FIELDS}
        if change:
            stored = CalendarDay.objects.get(pk=obj.pk)
            services.update_calendar_day(actor=request.user, day=stored, **values)
            obj.refresh_from_db()
        else:
            created = services.add_calendar_day(actor=request.user, **values)
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.delete_calendar_day(actor=request.user, day=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset:
            services.delete_calendar_day(actor=request.user, day=day)
