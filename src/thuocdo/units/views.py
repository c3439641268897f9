"""Public pages: unit search (live results with htmx) and a unit's detail with its history and agencies."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from thuocdo.units import selectors
from thuocdo.units.models import AdminUnit


@require_GET
def unit_search(request: HttpRequest) -> HttpResponse:
    """Search page; an htmx request gets only the result list."""
    query = request.GET.get("q", "").strip()[:100]
    structure = request.GET.get("structure", "")
    if structure not in AdminUnit.Structure.values:
        structure = ""
    units = selectors.search_units(query, structure=structure or None, limit=50) if query else []
    context = {
        "query": query,
        "structure": structure,
        "units": units,
        "structures": AdminUnit.Structure.choices,
    }
    if getattr(request, "htmx", False):
        return render(request, "units/_results.html", context)
    return render(request, "units/search.html", context)


@require_GET
def unit_detail(request: HttpRequest, structure: str, level: str, code: str) -> HttpResponse:
    """One unit: parent chain, children, predecessors, what it is now, and its agencies."""
    unit = selectors.get_unit(structure, level, code)
    if unit is None:
        raise Http404("unit not found")
    now = selectors.current_successors(unit)
    context = {
        "unit": unit,
        "ancestors": selectors.ancestors(unit),
        "children": selectors.children(unit),
        "predecessors": selectors.predecessors(unit),
        "successors": selectors.successors(unit),
        "now": [s for s in now if s.unit.pk != unit.pk],
        "agencies": selectors.agencies_of_unit(unit),
    }
    return render(request, "units/detail.html", context)
