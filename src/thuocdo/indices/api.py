"""JSON API of the 766 index (router mounted at /api/indices/): scores, explain-this-score, late lists."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from thuocdo.core.dossier import VN_TZ
from thuocdo.core.index766 import Period, parse_period
from thuocdo.indices import selectors
from thuocdo.indices.selectors import Scope, ScopeError, allowed, default_period

router = Router(tags=["indices"], auth=django_auth)


class IndicatorOut(Schema):
    id: str
    group: str
    name_vi: str
    name_en: str
    numerator: int
    denominator: int
    rate: float | None
    points: float
    max_points: float
    not_applicable: bool


class GroupOut(Schema):
    id: str
    name_vi: str
    name_en: str
    points: float
    max_points: float
    not_applicable: bool


class IndexOut(Schema):
    unit: str
    label: str
    period: str
    judged_at: datetime
    ruleset: str
    total: float
    band_vi: str
    band_en: str
    groups: list[GroupOut]
    indicators: list[IndicatorOut]


class ExplainRowOut(Schema):
    record: str
    agency_code: str
    in_numerator: bool
    in_denominator: bool
    reason_vi: str
    reason_en: str


class ExplainOut(Schema):
    indicator: str
    name_vi: str
    numerator: int
    denominator: int
    page: int
    pages: int
    count: int
    items: list[ExplainRowOut]


class LateUnitOut(Schema):
    agency_code: str
    agency_name: str
    late: int
    counted: int


class LateOfficialOut(Schema):
    officer: str
    department: str
    agency_code: str
    late_steps: int
    steps: int


class LateOut(Schema):
    units: list[LateUnitOut]
    officials: list[LateOfficialOut]


def _inputs(
    request: HttpRequest, unit: str, period: str, as_of: datetime | None
) -> tuple[Scope, Period, datetime | None]:
    try:
        scope = selectors.resolve_scope(unit)
        parsed = parse_period(period or default_period())
    except (ScopeError, ValueError) as exc:
        raise HttpError(422, str(exc)) from None
    if not allowed(request.user, scope):
        raise PermissionDenied
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=VN_TZ)
    return scope, parsed, as_of


@router.get("/766", response=IndexOut, summary="Chỉ số 766 của một đơn vị trong một kỳ")
def index766(
    request: HttpRequest,
    unit: str = "national",
    period: str = "",
    as_of: datetime | None = None,
    procedure: str = "",
    field: str = "",
) -> IndexOut:
    """Points of every indicator and group, the total and the band; unit is national, province:66, agency:CODE..."""
    scope, parsed, as_of = _inputs(request, unit, period, as_of)
    view = selectors.index_for(scope.narrowed(procedure=procedure, field=field), parsed, as_of)
    r = view.result
    return IndexOut(
        unit=scope.key, label=scope.label, period=parsed.label, judged_at=view.judged_at, ruleset=r.ruleset_id,
        total=float(r.total), band_vi=r.band.name_vi, band_en=r.band.name_en,
        groups=[GroupOut(id=g.id, name_vi=g.name_vi, name_en=g.name_en, points=float(g.points),
                         max_points=float(g.max_points), not_applicable=g.not_applicable) for g in r.groups.values()],
        indicators=[
            IndicatorOut(id=i.id, group=i.group, name_vi=i.name_vi, name_en=i.name_en, numerator=i.numerator,
                         denominator=i.denominator, rate=None if i.rate is None else float(i.rate),
                         points=float(i.points), max_points=float(i.max_points), not_applicable=i.not_applicable)
            for i in r.indicators.values()
        ],
    )  # fmt: skip


@router.get("/766/explain", response=ExplainOut, summary="Giải thích một giá trị chỉ số (phân trang)")
def explain766(
    request: HttpRequest,
    indicator: str,
    unit: str = "national",
    period: str = "",
    as_of: datetime | None = None,
    page: int = 1,
) -> ExplainOut:
    """The dossiers or procedures in the indicator's numerator and denominator, each with its reason."""
    scope, parsed, as_of = _inputs(request, unit, period, as_of)
    try:
        e = selectors.explain(indicator, scope, parsed, as_of=as_of, page=page)
    except ScopeError as exc:
        raise HttpError(422, str(exc)) from None
    return ExplainOut(
        indicator=e.indicator, name_vi=e.name_vi, numerator=e.numerator, denominator=e.denominator, page=e.page,
        pages=e.pages, count=e.total_rows,
        items=[ExplainRowOut(record=r.record, agency_code=r.agency_code, in_numerator=r.in_numerator,
                             in_denominator=r.in_denominator, reason_vi=r.reason_vi, reason_en=r.reason_en)
               for r in e.rows],
    )  # fmt: skip


@router.get("/766/late", response=LateOut, summary="Đơn vị, cán bộ trễ hạn trong kỳ")
def late766(
    request: HttpRequest, unit: str = "national", period: str = "", as_of: datetime | None = None
) -> LateOut:
    """The monthly list of late units and officials."""
    scope, parsed, as_of = _inputs(request, unit, period, as_of)
    return LateOut(
        units=[LateUnitOut(**u.__dict__) for u in selectors.late_units(scope, parsed, as_of)],
        officials=[LateOfficialOut(**o.__dict__) for o in selectors.late_officials(scope, parsed)],
    )
