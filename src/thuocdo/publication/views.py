"""Public pages (no login): satisfaction by year against targets, the map, a page per unit, open data, reports;
and the officials' survey dashboard (login, scoped): campaign results, weakest criteria, key drivers, publishing."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from thuocdo.accounts.selectors import PUBLISH, VIEW_NONPUBLIC, scope_for
from thuocdo.core.drivers import QUADRANTS, Driver
from thuocdo.publication import index766, measures, opendata, reports, selectors, services, survey_results
from thuocdo.publication.selectors import Point
from thuocdo.publication.survey_results import AGENCY, BLOCK, COMMUNE_KIND, SCOPE, CampaignResults, Domain
from thuocdo.surveys.labels import quadrant_label
from thuocdo.surveys.models import Campaign
from thuocdo.surveys.selectors import visible_campaigns
from thuocdo.units.models import AdminUnit, Agency
from thuocdo.units.sources import CURRENT, LEGACY

MEASURE = "sipas"


def format_percent(value: Any, places: int = 2) -> str:
    """83.944 → "83,94%" (web's template filter does the same; publication sits below web and cannot import it)."""
    return f"{reports.vn(value, places)}%"


def _province(request: HttpRequest) -> AdminUnit | None:
    code = request.GET.get("tinh", "").strip()
    if code:
        unit = selectors.current_unit(code)
        if unit is None:
            raise Http404(_("Không có tỉnh, thành phố mã «%(code)s».") % {"code": code})
        return unit
    return selectors.home_province()


def _chart_data(unit: AdminUnit, points: list[Point], *, measure: str, on: date) -> dict[str, Any]:
    """What charts.js draws: years, the unit's series (estimates marked), predecessors, targets, the interval band."""
    predecessors = selectors.predecessor_series(unit, measure)
    years = sorted({p.year for p in points} | {p.year for _, ps in predecessors for p in ps})
    by_year = {p.year: p for p in points}
    series: list[dict[str, Any]] = [
        {
            "name": unit.short_name or unit.name,
            "values": [float(by_year[y].number) if y in by_year else None for y in years],
            "estimated": [bool(by_year[y].is_estimate) if y in by_year else False for y in years],
        }
    ]
    for predecessor, ps in predecessors:
        own = {p.year: p for p in ps}
        series.append(
            {
                "name": _("%(name)s (trước sáp nhập)") % {"name": predecessor.short_name or predecessor.name},
                "values": [float(own[y].number) if y in own else None for y in years],
                "estimated": [False for _ in years],
                "dashed": True,
            }
        )
    band = [_interval(by_year.get(y)) for y in years]
    targets = [
        {
            "label": _("Mục tiêu %(year)s: %(value)s")
            % {"year": t.target_year, "value": format_percent(t.threshold, 0)},
            "value": float(t.threshold),
        }
        for t in selectors.targets_in_force(measure, on=on, unit=unit)
    ]
    return {
        "kind": "trend",
        "years": [str(y) for y in years],
        "series": series,
        "band": band,
        "targets": targets,
        "yName": "%",
        "labels": {"estimate": _("ước tính"), "interval": _("khoảng tin cậy 95%")},
    }


def _interval(point: Point | None) -> list[float] | None:
    if point is None or point.ci_low is None or point.ci_high is None:
        return None
    return [float(point.ci_low), float(point.ci_high)]


def _trend_summary(unit: AdminUnit, points: list[Point], targets: list[Any]) -> str:
    """The chart's text alternative in one sentence."""
    if not points:
        return _("Chưa có số liệu.")
    first, last = points[0], points[-1]
    dips = [b.year for a, b in itertools.pairwise(points) if b.number < a.number]
    text = _("%(unit)s: chỉ số hài lòng từ %(first)s năm %(y1)s đến %(last)s năm %(y2)s") % {
        "unit": unit.name,
        "first": format_percent(first.number),
        "y1": first.year,
        "last": format_percent(last.number),
        "y2": last.year,
    }
    if dips:
        text += _("; giảm so với năm trước ở năm %(years)s") % {"years": ", ".join(map(str, dips))}
    for target in targets:
        text += _("; mục tiêu %(value)s vào năm %(year)s") % {
            "value": format_percent(target.threshold, 0),
            "year": target.target_year,
        }
    return text + "."


def _gap(target: Any, latest: Point | None) -> tuple[Any, Any, Any]:
    """(target, gap, shortfall): gap ≥ 0 once the target is met; shortfall is the distance still to go."""
    if latest is None:
        return target, None, None
    gap = latest.number - target.threshold
    return target, gap, -gap if gap < 0 else None


@require_GET
def satisfaction(request: HttpRequest) -> HttpResponse:
    """Satisfaction by year for the province, against the targets, and by commune and agency."""
    province = _province(request)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "province": province,
        "measure_label": measures.label(MEASURE),
        "min_n": selectors.min_answers(),
        "crumbs": [(_("Hài lòng"), "")],
    }
    if province is not None:
        points = selectors.series(unit=province, measure=MEASURE)
        targets = selectors.targets_in_force(MEASURE, on=today, unit=province)
        latest = points[-1] if points else None
        commune_year, communes = selectors.commune_table(province, MEASURE)
        agency_year, agencies = selectors.agency_table(province, MEASURE)
        context.update(
            points=points,
            rows=list(reversed(points)),
            latest=latest,
            targets=targets,
            target_gaps=[_gap(t, latest) for t in targets],
            chart=_chart_data(province, points, measure=MEASURE, on=today) if points else None,
            summary=_trend_summary(province, points, targets),
            commune_year=commune_year,
            communes=communes,
            agency_year=agency_year,
            agencies=agencies,
            report_years=sorted({p.year for p in points}, reverse=True),
            has_estimates=any(p.is_estimate for p in points),
            has_demo=any(p.is_demo for p in points) or any(p.is_demo for p in communes),
        )
    province_year, provinces = selectors.province_table(MEASURE)
    context.update(province_year=province_year, provinces=provinces)
    return render(request, "publication/satisfaction.html", context)


@require_GET
def satisfaction_report(request: HttpRequest) -> HttpResponse:
    """The annual satisfaction report as PDF, XLSX or DOCX."""
    province = _province(request)
    fmt = request.GET.get("dinh-dang", "pdf")
    if province is None or fmt not in reports.FORMATS:
        raise Http404(_("Không có báo cáo này."))
    try:
        year = int(request.GET.get("nam", ""))
    except ValueError as exc:
        raise Http404(_("Năm không hợp lệ.")) from exc
    try:
        report = reports.satisfaction_report(
            unit=province, year=year, today=timezone.localdate(), measure=MEASURE
        )
    except reports.ReportError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(reports.render(report, fmt), content_type=reports.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="bao-cao-hai-long-{province.code}-{year}.{fmt}"'
    return response


@require_GET
def satisfaction_map(request: HttpRequest) -> HttpResponse:
    """Provinces, or the province's communes, as bubbles on their centroids, coloured by the latest figure."""
    level = "xa" if request.GET.get("cap") == "xa" else "tinh"
    province = _province(request) if level == "xa" else None
    if level == "xa" and province is not None:
        year, points = selectors.commune_table(province, MEASURE)
        title = _("Các xã, phường của %(name)s") % {"name": province.name}
    else:
        year, points = selectors.province_table(MEASURE)
        title = _("Các tỉnh, thành phố")
    located = [p for p in points if p.latitude is not None and p.longitude is not None]
    ranked = [p for p in points if p.rank is not None]
    summary = ""
    if ranked:
        summary = _(
            "%(title)s năm %(year)s: cao nhất %(top)s (%(top_value)s), thấp nhất %(bottom)s (%(bottom_value)s)."
        ) % {
            "title": title,
            "year": year,
            "top": ranked[0].name,
            "top_value": format_percent(ranked[0].number),
            "bottom": ranked[-1].name,
            "bottom_value": format_percent(ranked[-1].number),
        }
    chart = {
        "kind": "map",
        "points": [p.as_dict() for p in located],
        "labels": {"few": _("Chưa đủ số phiếu"), "estimate": _("ước tính"), "rank": _("hạng")},
    }
    return render(
        request,
        "publication/map.html",
        {
            "level": level,
            "province": province or selectors.home_province(),
            "title": title,
            "year": year,
            "points": points,
            "chart": chart if located else None,
            "summary": summary,
            "min_n": selectors.min_answers(),
            "has_estimates": any(p.is_estimate for p in points),
            "has_demo": any(p.is_demo for p in points),
        },
    )


@require_GET
def unit_index(request: HttpRequest) -> HttpResponse:
    """Units with published figures, searchable without accents."""
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "publication/unit_index.html",
        {
            "query": query,
            "units": selectors.search_published_units(query),
            "agencies": index766.published_agencies(query),
            "province": selectors.home_province(),
        },
    )


def index766_url(unit: AdminUnit) -> str | None:
    """The 766 index page of a unit, once the indices app publishes one."""
    for name, args in (("indices:unit", [unit.code]), ("indices:unit_detail", [unit.code])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One unit: its latest figures with their intervals, the trend, and where its history comes from."""
    structure = LEGACY if request.GET.get("he-thong") == "cu" else CURRENT
    unit = selectors.public_unit(code, structure)
    if unit is None:
        agency = Agency.objects.select_related("admin_unit", "block").filter(code=code).first()
        if agency is None:
            raise Http404(_("Không có đơn vị mã «%(code)s».") % {"code": code})
        return _agency_detail(request, agency)
    today = timezone.localdate()
    series = selectors.figures_of_unit(unit)
    sipas = series.get(MEASURE, [])
    targets = selectors.targets_in_force(MEASURE, on=today, unit=unit)
    latest = [
        (points[-1].label or measures.label(code), points[-1])
        for code, points in sorted(series.items(), key=lambda kv: (kv[0] != MEASURE, kv[0]))
    ]
    return render(
        request,
        "publication/unit_detail.html",
        {
            "unit": unit,
            "is_legacy": structure == LEGACY,
            "latest": latest,
            "points": sipas,
            "rows": list(reversed(sipas)),
            "chart": _chart_data(unit, sipas, measure=MEASURE, on=today) if sipas else None,
            "summary": _trend_summary(unit, sipas, targets) if sipas else "",
            "predecessors": selectors.predecessor_series(unit, MEASURE),
            "index766_url": index766_url(unit),
            "index766": _index766_section(index766.subject_index(unit=unit))
            if structure == CURRENT
            else None,
            "units_url": reverse("units:detail", args=[unit.structure, unit.level, unit.code]),
            "min_n": selectors.min_answers(),
            "has_estimates": any(p.is_estimate for p in sipas),
        },
    )


def _index766_section(found: index766.SubjectIndex | None) -> dict[str, Any] | None:
    """The 766 part of a unit or agency page: latest month, band, groups, rank, 12-month trend and its text."""
    if found is None:
        return None
    labels = [index766.month_label(m.year, m.month) for m, _value in found.trend]
    values = [float(v) for _m, v in found.trend]
    row = found.row
    summary = _(
        "%(name)s: chỉ số 766 tháng %(month)s đạt %(total)s/100 điểm, xếp loại %(band)s, hạng %(rank)s/%(peers)s."
    ) % {
        "name": row.name,
        "month": index766.month_label(found.month.year, found.month.month),
        "total": reports.vn(row.total, 2),
        # Band names are rule-set data in Vietnamese; the standard five are also catalogue msgids.
        "band": _(row.band) if row.band else "—",
        "rank": row.rank or "—",
        "peers": found.peers,
    }
    if len(values) > 1:
        summary += " " + _(
            "Trong %(n)d tháng công bố gần nhất: từ %(first)s đến %(last)s điểm, thấp nhất %(low)s, cao nhất %(high)s."
        ) % {
            "n": len(values),
            "first": reports.vn(values[0], 2),
            "last": reports.vn(values[-1], 2),
            "low": reports.vn(min(values), 2),
            "high": reports.vn(max(values), 2),
        }
    chart = None
    if len(values) > 1:
        chart = {
            "kind": "trend",
            "years": labels,
            "series": [{"name": row.name, "values": values, "estimated": [False for _v in values]}],
            "band": [None for _v in values],
            "targets": [],
            "yName": _("điểm"),
            "labels": {"estimate": _("ước tính"), "interval": ""},
        }
    return {
        "found": found,
        "row": row,
        "chart": chart,
        "summary": summary,
        "trend_rows": list(reversed(list(zip(labels, found.trend, strict=True)))),
    }


def _agency_detail(request: HttpRequest, agency: Agency) -> HttpResponse:
    """An agency's public page: its 766 index (agencies have no survey series of their own here)."""
    section = _index766_section(index766.subject_index(agency=agency))
    if section is None and not agency.published_figures.exists():
        raise Http404(_("Chưa có số liệu công bố cho cơ quan mã «%(code)s».") % {"code": agency.code})
    return render(
        request,
        "publication/agency_detail.html",
        {"agency": agency, "index766": section},
    )


def _month_choice(request: HttpRequest) -> tuple[list[Any], Any]:
    months = index766.published_months()
    key = request.GET.get("thang", "").strip()[:7]
    month = index766.find_month(key, months)
    if key and month is None:
        raise Http404(_("Tháng «%(month)s» chưa được công bố.") % {"month": key})
    return months, month


def _index_province(request: HttpRequest, month: Any) -> AdminUnit | None:
    code = request.GET.get("tinh", "").strip()[:5]
    if code:
        unit = selectors.current_unit(code)
        if unit is None:
            raise Http404(_("Không có tỉnh, thành phố mã «%(code)s».") % {"code": code})
        return unit
    return index766.home_province(month)


@require_GET
def rankings(request: HttpRequest) -> HttpResponse:
    """Rankings by the 766 index of a published month: provinces, agencies within each block, communes."""
    months, month = _month_choice(request)
    context: dict[str, Any] = {
        "months": [(m, index766.month_label(m.year, m.month)) for m in months],
        "month": month,
        "crumbs": [(_("Xếp hạng"), "")],
    }
    if month is not None:
        province = _index_province(request, month)
        result = index766.rankings(month, months, province)
        context.update(
            result=result,
            province=province,
            month_label=index766.month_label(month.year, month.month),
            previous_label=index766.month_label(result.previous.year, result.previous.month)
            if result.previous
            else "",
            has_demo=month.is_demo,
        )
    return render(request, "publication/rankings.html", context)


def publishable_months() -> list[tuple[str, str]]:
    """The twelve months before the current one, newest first: the ones staff may (re)publish."""
    today = timezone.localdate()
    year, month = today.year, today.month
    out = []
    for _i in range(12):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append((f"{year}-{month:02d}", index766.month_label(year, month)))
    return out


@require_GET
def late_list(request: HttpRequest) -> HttpResponse:
    """The published monthly list of late agencies and the officials whose steps ran late (Decision 766)."""
    months, month = _month_choice(request)
    context: dict[str, Any] = {
        "months": [(m, index766.month_label(m.year, m.month)) for m in months],
        "month": month,
        "crumbs": [(_("Xếp hạng"), reverse("publication:rankings")), (_("Danh sách trễ hạn"), "")],
    }
    if month is not None:
        province = _index_province(request, month)
        lists = index766.late_lists(month, province)
        context.update(
            lists=lists,
            province=province,
            month_label=index766.month_label(month.year, month.month),
            total_late=sum(u["late"] for u in lists.units),
        )
    return render(request, "publication/late_list.html", context)


def may_publish_index766(user: Any) -> bool:
    """Publishing a 766 month needs PUBLISH over the portal's province (or the whole country)."""
    if not getattr(user, "is_authenticated", False):
        return False
    scope = scope_for(user, PUBLISH)
    if scope.national:
        return True
    if scope.is_empty:
        return False
    province = selectors.home_province()
    return province is not None and scope.contains_unit(province)


@login_required
@require_POST
def publish_index766(request: HttpRequest) -> HttpResponse:
    """Publish (or publish again) one month of the 766 index; an error leaves the published month untouched."""
    if not may_publish_index766(request.user):
        raise Http404(_("Bạn không có quyền công bố chỉ số 766."))
    month = request.POST.get("thang", "").strip()[:7]
    try:
        report = services.publish_index766_month(month=month, actor=request.user, now=timezone.now())
    except services.PublishError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, report.summary())
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("publication:rankings") + ("?" + urlencode({"thang": month}) if month else "")
    return redirect(back)


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    """The open data catalogue: every dataset in every format, and the data dictionary."""
    return render(
        request,
        "publication/open_data.html",
        {"datasets": opendata.DATASETS, "formats": list(opendata.FORMATS)},
    )


@require_GET
def dataset_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """One dataset in one format."""
    dataset = opendata.BY_SLUG.get(slug)
    if dataset is None or fmt not in opendata.FORMATS:
        raise Http404(_("Không có tệp dữ liệu này."))
    response = HttpResponse(opendata.export(dataset, fmt), content_type=opendata.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slug}.{fmt}"'
    return response


@require_GET
def data_dictionary(request: HttpRequest) -> HttpResponse:
    """What every column of every dataset means, in Vietnamese and English."""
    return render(request, "publication/data_dictionary.html", {"datasets": opendata.DATASETS})


@require_GET
def data_dictionary_json(request: HttpRequest) -> JsonResponse:
    """The data dictionary as JSON."""
    return JsonResponse(
        {"datasets": opendata.dictionary()}, json_dumps_params={"ensure_ascii": False, "indent": 1}
    )


# --- officials' survey dashboard ----------------------------------------------------------------------------


def _campaign_results(campaign: Campaign) -> tuple[CampaignResults | None, str]:
    try:
        return survey_results.campaign_results(campaign, min_n=selectors.min_answers()), ""
    except survey_results.ResultsError as exc:
        return None, str(exc)


def _may_see(request: HttpRequest, results: CampaignResults, domain: Domain) -> bool:
    """Officials see the domains inside their scope; the whole round and blocks need the whole province."""
    scope = scope_for(request.user, VIEW_NONPUBLIC)
    if scope.national:
        return True
    subject = results.subject(domain)
    if domain.kind in (SCOPE, BLOCK):
        return results.province is not None and scope.contains_unit(results.province)
    if domain.kind == AGENCY:
        return subject is not None and scope.contains_agency(subject)
    return subject is not None and scope.contains_unit(subject)


def _may_publish(request: HttpRequest, results: CampaignResults) -> bool:
    scope = scope_for(request.user, PUBLISH)
    return scope.national or (results.province is not None and scope.contains_unit(results.province))


def _target(province: Any, year: int) -> float:
    """The satisfaction target the priority matrix is drawn against (the next one due, else 90%)."""
    targets = selectors.targets_in_force(MEASURE, on=timezone.localdate(), unit=province)
    due = [t for t in targets if t.target_year >= year] or targets[-1:]
    return float(due[0].threshold) if due else 90.0


def _children(
    request: HttpRequest, results: CampaignResults, domain: Domain
) -> list[tuple[str, list[Domain]]]:
    """The drill-down tables under a domain, each limited to what the user may see."""
    computed = results.computed

    def visible(domains: Any) -> list[Domain]:
        shown = [d for d in domains if _may_see(request, results, d)]
        return sorted(shown, key=lambda d: (not d.overall.shown, -(d.overall.estimate or 0), d.name))

    if domain.kind == SCOPE:
        return [
            (_("Theo khối cơ quan"), visible(computed.blocks.values())),
            (
                _("Theo cơ quan"),
                visible(
                    d
                    for code, d in computed.agencies.items()
                    if results.agencies[code].kind != "commune_committee"
                ),
            ),
            (_("Theo xã, phường"), visible(computed.communes.values())),
        ]
    if domain.kind == BLOCK:
        return [(_("Các cơ quan trong khối"), visible(results.agencies_in(domain)))]
    if domain.kind == COMMUNE_KIND:
        return [(_("Các cơ quan trên địa bàn"), visible(results.agencies_in(domain)))]
    return []


def _domain_name(results: CampaignResults, domain: Domain) -> str:
    if domain.kind == SCOPE:
        return results.province.name if results.province is not None else results.campaign.name
    return domain.name


def _matrix_chart(analysis: Any, cells: dict[str, survey_results.Cell]) -> dict[str, Any]:
    points = [
        {
            "code": d.code,
            "label": cells[d.code].label if d.code in cells else d.code,
            "x": round(100 * d.importance, 2),
            "y": round(100 - d.index, 2),
            "quadrant": d.quadrant,
            "quadrantLabel": quadrant_label(d.quadrant),
        }
        for d in analysis.drivers
        if d.index is not None
    ]
    return {
        "kind": "matrix",
        "points": points,
        "xLine": round(100 / max(1, len(analysis.drivers)), 2),
        "yLine": round(100 - analysis.target, 2),
        "labels": {
            "x": _("Mức độ tác động (% R²)"),
            "y": _("Khoảng cách tới 100% (điểm)"),
            "index": _("Chỉ số"),
        },
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Survey results for officials: one campaign, one domain (province → block/agency/commune), aggregates only."""
    campaigns = list(visible_campaigns(request.user))
    slug = request.GET.get("dot", "").strip()
    crumbs = [(_("Hài lòng"), reverse("publication:satisfaction")), (_("Kết quả khảo sát (nội bộ)"), "")]
    context: dict[str, Any] = {"campaigns": campaigns, "crumbs": crumbs, "min_n": selectors.min_answers()}
    if slug:
        campaign = next((c for c in campaigns if c.slug == slug), None)
        if campaign is None:
            raise Http404(_("Không có đợt khảo sát này trong phạm vi của bạn."))
    else:
        campaign = next((c for c in campaigns if c.status == Campaign.Status.CLOSED), None) or (
            campaigns[0] if campaigns else None
        )
    context["campaign"] = campaign
    if campaign is None:
        return render(request, "publication/dashboard.html", context)
    results, problem = _campaign_results(campaign)
    context["problem"] = problem
    if results is None:
        return render(request, "publication/dashboard.html", context)
    kind, _sep, code = request.GET.get("don-vi", "").partition(":")
    if kind:
        domain = results.domain(kind, code)
        if domain is None or not _may_see(request, results, domain):
            raise Http404(_("Không có kết quả này trong phạm vi của bạn."))
    else:
        candidates = [
            results.scope,
            *sorted(results.computed.agencies.values(), key=lambda d: d.name),
            *sorted(results.computed.communes.values(), key=lambda d: d.name),
        ]
        domain = next((d for d in candidates if _may_see(request, results, d)), None)
        if domain is None:
            raise Http404(_("Không có kết quả này trong phạm vi của bạn."))
    year = campaign.starts_on.year
    analysis, drivers_problem = (None, "")
    chart = None
    cells = {c.code: c for c in domain.items}
    if not domain.small:
        analysis, drivers_problem = survey_results.key_drivers(
            campaign, domain, target=_target(results.province, year)
        )
        if analysis is not None:
            chart = _matrix_chart(analysis, cells)
    drivers: list[tuple[Driver, survey_results.Cell | None, float]] = []
    if analysis is not None:
        drivers = sorted(
            ((d, cells.get(d.code), 100 * d.importance) for d in analysis.drivers),
            key=lambda r: (r[0].priority is None, -(r[0].priority or 0), r[0].code),
        )
    top = [d.code for d, _cell, _share in drivers if d.quadrant == QUADRANTS[(True, True)]][:5]
    matrix_summary = _(
        "Ma trận ưu tiên của %(n)d tiêu chí: trục ngang là mức độ tác động, trục dọc là khoảng cách tới 100%%. "
    ) % {"n": len(drivers)} + (
        _("Nên ưu tiên cải thiện: %(codes)s.") % {"codes": ", ".join(top)}
        if top
        else _("Không có tiêu chí nào vừa quan trọng vừa dưới mục tiêu.")
    )
    base = {"dot": campaign.slug}
    trail = []
    if domain.kind != SCOPE and _may_see(request, results, results.scope):
        trail.append((_domain_name(results, results.scope), "?" + urlencode(base)))
    published = selectors.campaign_publication(campaign)
    factor_rows = [(f, domain.items_of(f.code)) for f in domain.factors]
    context.update(
        results=results,
        domain=domain,
        domain_name=_domain_name(results, domain),
        trail=trail,
        factor_rows=factor_rows,
        weakest=[] if domain.small else domain.weakest(5),
        analysis=analysis,
        drivers=drivers,
        drivers_problem=drivers_problem,
        chart=chart,
        matrix_summary=matrix_summary,
        children=[
            (title, [(d, "?" + urlencode({**base, "don-vi": d.key})) for d in rows])
            for title, rows in _children(request, results, domain)
            if rows
        ],
        may_publish=_may_publish(request, results) and domain.kind == SCOPE,
        is_closed=campaign.status == Campaign.Status.CLOSED,
        published=published,
        year=year,
    )
    return render(request, "publication/dashboard.html", context)


@login_required
@require_POST
def publish_campaign(request: HttpRequest) -> HttpResponse:
    """Publish a campaign's results (PUBLISH on the whole province); an error leaves the figures untouched."""
    slug = request.POST.get("dot", "").strip()
    campaign = visible_campaigns(request.user).filter(slug=slug).first()
    if campaign is None:
        raise Http404(_("Không có đợt khảo sát này trong phạm vi của bạn."))
    results, problem = _campaign_results(campaign)
    if results is None or not _may_publish(request, results):
        raise Http404(problem or _("Bạn không có quyền công bố kết quả đợt khảo sát này."))
    try:
        report = services.publish_campaign_results(campaign=campaign, actor=request.user, now=timezone.now())
    except services.PublishError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Đã công bố %(n)d số liệu của năm %(year)d; %(hidden)d ô không công bố vì quá ít phiếu.")
            % {
                "n": report.figures,
                "year": report.year,
                "hidden": report.withheld_small + report.withheld_complementary,
            },
        )
    return redirect(reverse("publication:dashboard") + "?" + urlencode({"dot": campaign.slug}))
