"""Public pages: procedure search (live results with htmx) and a procedure's detail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from thuocdo.catalog import selectors
from thuocdo.catalog.models import Procedure

PAGE_SIZE = 25


@require_GET
def procedure_search(request: HttpRequest) -> HttpResponse:
    """Search by code or name, filter by field, level and online level; an htmx request gets only the results."""
    query = request.GET.get("q", "").strip()[:100]
    field_code = request.GET.get("field", "")[:40]
    level = request.GET.get("level", "")
    level = level if level in Procedure.Level.values else ""
    online_level = request.GET.get("online_level", "")
    online_level = online_level if online_level in Procedure.OnlineLevel.values else ""
    procedures = selectors.search_procedures(
        q=query, field_code=field_code, level=level, online_level=online_level
    )
    page = Paginator(procedures, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "query": query,
        "field_code": field_code,
        "level": level,
        "online_level": online_level,
        "page_obj": page,
        "fields": selectors.fields_with_counts(),
        "levels": Procedure.Level.choices,
        "online_levels": Procedure.OnlineLevel.choices,
        "filtered": bool(query or field_code or level or online_level),
        "crumbs": [(_("Thủ tục hành chính"), "")],
    }
    if getattr(request, "htmx", False):
        return render(request, "catalog/_results.html", context)
    return render(request, "catalog/search.html", context)


@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One procedure: field, levels, time limits, fee, online service, publication and implementing agencies."""
    procedure = selectors.procedure_by_code(code)
    if procedure is None:
        raise Http404("procedure not found")
    agencies, agency_count = selectors.agencies_of(procedure)
    index = reverse("catalog:index")
    crumbs = [
        (_("Thủ tục hành chính"), index),
        (procedure.field.name, f"{index}?{urlencode({'field': procedure.field.code})}"),
        (procedure.code, ""),
    ]
    context = {"procedure": procedure, "agencies": agencies, "agency_count": agency_count, "crumbs": crumbs}
    return render(request, "catalog/detail.html", context)
