"""Public pages (no login): satisfaction by year against targets, the map, a page per unit, open data, reports."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from thuocdo.publication import measures, opendata, reports, selectors
from thuocdo.publication.selectors import Point
from thuocdo.units.models import AdminUnit
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
            "values": [float(by_year[y].value) if y in by_year else None for y in years],
            "estimated": [bool(by_year[y].is_estimate) if y in by_year else False for y in years],
        }
    ]
    for predecessor, ps in predecessors:
        own = {p.year: p for p in ps}
        series.append(
            {
                "name": _("%(name)s (trước sáp nhập)") % {"name": predecessor.short_name or predecessor.name},
                "values": [float(own[y].value) if y in own else None for y in years],
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
    dips = [b.year for a, b in itertools.pairwise(points) if b.value < a.value]
    text = _("%(unit)s: chỉ số hài lòng từ %(first)s năm %(y1)s đến %(last)s năm %(y2)s") % {
        "unit": unit.name,
        "first": format_percent(first.value),
        "y1": first.year,
        "last": format_percent(last.value),
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
    gap = latest.value - target.threshold
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
            "top_value": format_percent(ranked[0].value),
            "bottom": ranked[-1].name,
            "bottom_value": format_percent(ranked[-1].value),
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
        raise Http404(_("Không có đơn vị mã «%(code)s».") % {"code": code})
    today = timezone.localdate()
    series = selectors.figures_of_unit(unit)
    sipas = series.get(MEASURE, [])
    targets = selectors.targets_in_force(MEASURE, on=today, unit=unit)
    latest = [(measures.label(code), points[-1]) for code, points in sorted(series.items())]
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
            "units_url": reverse("units:detail", args=[unit.structure, unit.level, unit.code]),
            "min_n": selectors.min_answers(),
            "has_estimates": any(p.is_estimate for p in sipas),
        },
    )


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
