"""Officials' pages of the 766 index: a unit's index for a period with drill-down, explain-this-score, late lists."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from thuocdo.core.dossier import VN_TZ
from thuocdo.core.index766 import Period, parse_period
from thuocdo.indices import selectors
from thuocdo.indices.selectors import Scope, ScopeError, allowed, default_period


def _inputs(request: HttpRequest) -> tuple[Scope, Period, datetime | None]:
    try:
        scope = selectors.resolve_scope(request.GET.get("unit", "national")[:80])
        period = parse_period(request.GET.get("period", "") or default_period())
    except (ScopeError, ValueError) as exc:
        raise Http404(str(exc)) from None
    scope = scope.narrowed(
        procedure=request.GET.get("procedure", "")[:40], field=request.GET.get("field", "")[:40]
    )
    as_of = None
    if raw := request.GET.get("as_of", "").strip():
        try:
            as_of = datetime.fromisoformat(raw)
        except ValueError:
            raise Http404(_("Thời điểm đánh giá không hợp lệ.")) from None
        as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=VN_TZ)
    if not allowed(request.user, scope):
        raise PermissionDenied
    return scope, period, as_of


def _query(**params: str) -> str:
    return urlencode({k: v for k, v in params.items() if v})


@login_required
@require_GET
def index_page(request: HttpRequest) -> HttpResponse:
    """The index of a unit for a period: groups, indicators with numerators and points, band, children."""
    scope, period, as_of = _inputs(request)
    view = selectors.index_for(scope, period, as_of)
    children = []
    for child in selectors.child_scopes(scope)[:300]:
        if allowed(request.user, child):
            cv = selectors.index_for(child, period, as_of)
            children.append((child, cv, _query(unit=child.key, period=period.label)))
    by_group: dict[str, list[Any]] = {}
    for ind in view.result.indicators.values():
        by_group.setdefault(ind.group, []).append(
            (ind, _query(indicator=ind.id, unit=scope.key, period=period.label))
        )
    return render(
        request,
        "indices/index.html",
        {
            "view": view,
            "scope": scope,
            "period": period,
            "groups": [(g, by_group.get(g.id, [])) for g in view.result.groups.values()],
            "children": children,
            "late_query": _query(unit=scope.key, period=period.label),
            "crumbs": [(_("Chỉ số 766"), "")],
        },
    )


@login_required
@require_GET
def explain_page(request: HttpRequest) -> HttpResponse:
    """Explain this score: the dossiers or procedures behind one indicator value, with reasons."""
    scope, period, as_of = _inputs(request)
    indicator = request.GET.get("indicator", "2.1")[:8]
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    try:
        result = selectors.explain(indicator, scope, period, as_of=as_of, page=page)
    except ScopeError as exc:
        raise Http404(str(exc)) from None
    base = {"indicator": indicator, "unit": scope.key, "period": period.label}
    return render(
        request,
        "indices/explain.html",
        {
            "e": result,
            "scope": scope,
            "period": period,
            "prev_query": _query(**base, page=str(result.page - 1)) if result.page > 1 else "",
            "next_query": _query(**base, page=str(result.page + 1)) if result.page < result.pages else "",
            "back_query": _query(unit=scope.key, period=period.label),
        },
    )


@login_required
@require_GET
def late_page(request: HttpRequest) -> HttpResponse:
    """Late units and officials of a period (the monthly list 766 asks to publish), overdue and at-risk now."""
    scope, period, as_of = _inputs(request)
    now = as_of or datetime.now(UTC)
    return render(
        request,
        "indices/late.html",
        {
            "scope": scope,
            "period": period,
            "units": selectors.late_units(scope, period, as_of),
            "officials": selectors.late_officials(scope, period),
            "overdue": selectors.overdue_steps(scope, now=now, limit=100),
            "at_risk": selectors.overdue_steps(scope, now=now, horizon=timedelta(days=2), limit=100),
            "csv_query": _query(unit=scope.key, period=period.label),
        },
    )


@login_required
@require_GET
def late_csv(request: HttpRequest) -> HttpResponse:
    """The monthly list of late units and officials as CSV (UTF-8 with BOM so spreadsheets read the diacritics)."""
    scope, period, as_of = _inputs(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tre-han-{period.label}.csv"'
    response.write("\ufeff")
    out = csv.writer(response)
    out.writerow(
        [_("Loại"), _("Mã đơn vị"), _("Tên đơn vị / cán bộ"), _("Phòng ban"), _("Số trễ hạn"), _("Tổng số")]
    )
    for u in selectors.late_units(scope, period, as_of):
        out.writerow([_("Đơn vị"), u.agency_code, u.agency_name, "", u.late, u.counted])
    for o in selectors.late_officials(scope, period):
        out.writerow([_("Cán bộ"), o.agency_code, o.officer, o.department, o.late_steps, o.steps])
    return response
