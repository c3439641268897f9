"""Officials' pages of the 766 index: a unit's index for a period with drill-down, explain-this-score, late lists."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from thuocdo.core.dossier import VN_TZ
from thuocdo.core.index766 import Period, parse_period
from thuocdo.core.whatif import Changes, full_points_rate, what_if
from thuocdo.indices import drilldown, selectors
from thuocdo.indices.selectors import Scope, ScopeError, allowed, default_period
from thuocdo.shared.forms import StyledFormMixin

PROCEDURES_FIRST = 20  # busiest procedures scored by default; ?tat-ca=1 shows up to PROCEDURES_ALL
PROCEDURES_ALL = 200
OFFICIALS_SHOWN = 200  # the officials table is sorted by late and overdue steps, so the cut keeps those


def _inputs(request: HttpRequest) -> tuple[Scope, Period, datetime | None]:
    try:
        scope = selectors.resolve_scope(
            request.GET.get("unit", "")[:80] or drilldown.default_scope_key(request.user)
        )
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


def _crumbs(
    request: HttpRequest, scope: Scope, period: Period, *tail: tuple[str, str]
) -> list[tuple[str, str]]:
    """The ancestors the user may see (the nation as «Chỉ số 766»), this scope, then the levels below it."""
    index = reverse("indices:index766")
    crumbs = [
        (
            _("Chỉ số 766") if s.key == "national" else s.label,
            f"{index}?{_query(unit=s.key, period=period.label)}",
        )
        for s in [*drilldown.ancestors(request.user, scope), scope]
    ]
    if not tail:
        return [*crumbs[:-1], (crumbs[-1][0], "")]
    return [*crumbs, *tail]


def _links(scope: Scope, period: Period) -> dict[str, str]:
    """Query strings of the drill-down pages of a scope (procedure and field narrowing kept)."""
    base = {"unit": scope.key, "period": period.label}
    narrowed = {**base, "procedure": scope.procedure_code, "field": scope.field_code}
    return {
        "index": _query(**base),
        "narrowed": _query(**narrowed),
        "procedures": _query(**base, field=scope.field_code),
        "officials": _query(**narrowed),
        "whatif": _query(**narrowed),
        "late": _query(**base),
    }


def _procedure_tail(scope: Scope, period: Period) -> list[tuple[str, str]]:
    """Crumbs «Theo thủ tục › Thủ tục X» when a page is narrowed to one procedure."""
    if not scope.procedure_code:
        return []
    links = _links(scope, period)
    return [
        (_("Theo thủ tục"), f"{reverse('indices:procedures')}?{links['procedures']}"),
        (
            _("Thủ tục %(code)s") % {"code": scope.procedure_code},
            f"{reverse('indices:index766')}?{links['narrowed']}",
        ),
    ]


@login_required
@require_GET
def index_page(request: HttpRequest) -> HttpResponse:
    """The index of a unit for a period: groups, indicators with numerators and points, band, children."""
    # The scope, its children and every index read the agency code map and the rule sets once.
    with selectors.reading_once():
        return _index_page(request)


def _index_page(request: HttpRequest) -> HttpResponse:
    scope, period, as_of = _inputs(request)
    view = selectors.index_for(scope, period, as_of)
    children = []
    candidates = selectors.child_scopes(scope)[:300]
    visible = [
        c for c, ok in zip(candidates, selectors.allowed_many(request.user, candidates), strict=True) if ok
    ]
    child_views = selectors.index_for_many(visible, period, as_of)
    for child in visible:
        cv = child_views[child]
        t = cv.tallies.get("2.1")
        late = t.denominator - t.numerator if t else 0
        lost = drilldown.FULL_SCORE - cv.result.total
        children.append((child, cv, _query(unit=child.key, period=period.label), lost, late))
    # Most points lost first, then most late dossiers: the drill-down leads to what to fix.
    children.sort(key=lambda c: (-c[3], -c[4], c[0].label))
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
            "children": [c[:3] for c in children],
            "child_rows": children,
            "late_query": _query(unit=scope.key, period=period.label),
            "links": _links(scope, period),
            "crumbs": _crumbs(request, scope, period, *_procedure_tail(scope, period)),
        },
    )


@login_required
@require_GET
def procedures_page(request: HttpRequest) -> HttpResponse:
    """Drill-down to procedures: each procedure of the scope scored alone, most points lost first."""
    scope, period, as_of = _inputs(request)
    # Each procedure is scored on its own (one index computation each), so a large scope shows its busiest first.
    show_all = request.GET.get("tat-ca") == "1"
    rows, total = drilldown.procedure_rows(
        scope.narrowed(field=scope.field_code),
        period,
        as_of,
        limit=PROCEDURES_ALL if show_all else PROCEDURES_FIRST,
    )
    return render(
        request,
        "indices/procedures.html",
        {
            "scope": scope,
            "period": period,
            "rows": [(r, _query(unit=scope.key, period=period.label, procedure=r.code)) for r in rows],
            "total": total,
            "all_query": _query(
                unit=scope.key, period=period.label, field=scope.field_code, **{"tat-ca": "1"}
            )
            if total > len(rows) and not show_all
            else "",
            "links": _links(scope, period),
            "crumbs": _crumbs(request, scope, period, (_("Theo thủ tục"), "")),
        },
    )


@login_required
@require_GET
def officials_page(request: HttpRequest) -> HttpResponse:
    """Drill-down to officials: steps they handled by their own deadlines, and steps overdue now."""
    scope, period, as_of = _inputs(request)
    now = as_of or datetime.now(UTC)
    officer = request.GET.get("officer", "").strip()[:150]
    links = _links(scope, period)
    tail = _procedure_tail(scope, period)
    tail.append((_("Theo cán bộ"), f"{reverse('indices:officials')}?{links['officials']}"))
    rows = drilldown.official_rows(scope, period, now=now)
    total = len(rows)
    steps = None
    if officer:
        if not any(r.officer == officer for r in rows):
            raise Http404(_("Không có cán bộ này trong phạm vi đã chọn."))
        steps = drilldown.official_steps(scope, period, now=now, officer=officer)
        tail.append((officer, ""))
    base = {
        "unit": scope.key,
        "period": period.label,
        "procedure": scope.procedure_code,
        "field": scope.field_code,
    }
    return render(
        request,
        "indices/officials.html",
        {
            "scope": scope,
            "period": period,
            "now": now,
            "rows": [(r, _query(**base, officer=r.officer)) for r in rows[:OFFICIALS_SHOWN]],
            "total": total,
            "officer": officer,
            "steps": steps,
            "links": links,
            "crumbs": _crumbs(request, scope, period, *tail),
        },
    )


def _rate_field(name: str) -> str:
    return "rate_" + name.replace(".", "_")


class WhatIfForm(StyledFormMixin, forms.Form):
    """The changes an official supposes: overdue dossiers cleared, indicator rates reached."""

    cleared = forms.IntegerField(
        label=gettext_lazy("Số hồ sơ quá hạn được giải quyết xong, trả đúng hạn"), min_value=0, required=False
    )

    def __init__(self, *args: Any, overdue: int, indicators: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cleared = self.fields["cleared"]
        cleared.validators.append(MaxValueValidator(overdue))
        cleared.widget.attrs.update(max=str(overdue), min="0")
        self.indicators = indicators
        for ind in indicators:
            field = forms.DecimalField(
                label=_("Tỷ lệ giả định của chỉ số %(id)s (%%)") % {"id": ind.id},
                min_value=Decimal(0),
                max_value=Decimal(100),
                decimal_places=2,
                required=False,
            )
            # Added after the mixin styled the declared fields, so styled here.
            field.widget.attrs.update({"class": "form-control form-control-sm", "step": "0.01"})
            self.fields[_rate_field(ind.id)] = field

    def changes(self) -> Changes:
        """The supposed changes (valid form only)."""
        rates = {
            ind.id: self.cleaned_data[_rate_field(ind.id)]
            for ind in self.indicators
            if self.cleaned_data.get(_rate_field(ind.id)) is not None
        }
        return Changes(cleared_overdue=self.cleaned_data.get("cleared") or 0, rates=rates)


@login_required
@require_GET
def whatif_page(request: HttpRequest) -> HttpResponse:
    """What if: clear N overdue dossiers, reach X% on an indicator — the new points, total, band and rank."""
    scope, period, as_of = _inputs(request)
    view = selectors.index_for(scope, period, as_of)
    ruleset = selectors.ruleset_for(period.start)
    judge = view.judged_at
    overdue = selectors.overdue_dossiers(scope, now=judge, limit=1_000_000).count()
    # Only indicators with dossiers or procedures behind them can be raised; N/A ones have nothing to change.
    raisable = [i for i in view.result.indicators.values() if i.denominator and i.max_points]
    form = WhatIfForm(request.GET if "cleared" in request.GET else None, overdue=overdue, indicators=raisable)
    outcome = None
    peer_label = ""
    if form.is_bound and form.is_valid():
        others = None
        # Ranks compare whole scopes; a scope narrowed to a procedure or field has no comparison block.
        if not (scope.procedure_code or scope.field_code):
            peers, peer_label = drilldown.peer_scopes(scope)
            if any(p.key == scope.key for p in peers):
                ranked = selectors.ranking([p for p in peers if p.key != scope.key], period, as_of)
                others = [v.result.total for _s, v in ranked]
        outcome = what_if(view.tallies, ruleset, form.changes(), overdue=overdue, others=others)
    rows = []
    for ind in view.result.indicators.values():
        after = outcome.after.indicators[ind.id] if outcome else None
        rows.append(
            {
                "ind": ind,
                "after": after,
                "field": form[_rate_field(ind.id)] if _rate_field(ind.id) in form.fields else None,
                "full_rate": full_points_rate(ruleset.indicator(ind.id)),
            }
        )
    groups = [(g, outcome.after.groups[g.id] if outcome else None) for g in view.result.groups.values()]
    links = _links(scope, period)
    return render(
        request,
        "indices/whatif.html",
        {
            "scope": scope,
            "period": period,
            "view": view,
            "form": form,
            "overdue": overdue,
            "rows": rows,
            "groups": groups,
            "not_applicable": [r["ind"].id for r in rows if r["field"] is None],
            "outcome": outcome,
            "peer_label": peer_label,
            "links": links,
            "crumbs": _crumbs(request, scope, period, *_procedure_tail(scope, period), (_("Giả định"), "")),
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
