"""Read API of published figures, targets and rankings (mounted at /api/publication/, documented by OpenAPI)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from thuocdo.publication import index766, ranking, selectors
from thuocdo.publication.models import PublishedFigure

router = Router(tags=["publication"])


class FigureOut(Schema):
    measure: str
    unit_code: str | None = Field(None, description="Mã đơn vị hành chính (GSO) / administrative unit code")
    unit_name: str | None = None
    unit_structure: str | None = Field(None, description="2025 (two tiers) or legacy (before the merger)")
    agency_code: str | None = None
    agency_name: str | None = None
    block_code: str | None = Field(None, description="comparison block (khối) for results of a whole block")
    year: int
    period: str = Field("", description="empty = whole year; Q1–Q4; M01–M12")
    value: Decimal | None = Field(
        None, description="null: withheld, fewer answers than the anonymity threshold"
    )
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None
    n: int | None = Field(None, description="survey answers behind the value")
    enough_answers: bool = Field(True, description="false: too few answers, shown but not ranked")
    is_estimate: bool = Field(
        False, description="estimated (e.g. back-cast of a merged province), not measured"
    )
    estimate_note: str = ""
    is_demo: bool = False
    components: dict[str, Any] = {}
    source: str = ""

    @staticmethod
    def resolve_unit_code(obj: PublishedFigure) -> str | None:
        return obj.unit.code if obj.unit else None

    @staticmethod
    def resolve_unit_name(obj: PublishedFigure) -> str | None:
        return obj.unit.name if obj.unit else None

    @staticmethod
    def resolve_unit_structure(obj: PublishedFigure) -> str | None:
        return obj.unit.structure if obj.unit else None

    @staticmethod
    def resolve_agency_code(obj: PublishedFigure) -> str | None:
        return obj.agency.code if obj.agency else None

    @staticmethod
    def resolve_agency_name(obj: PublishedFigure) -> str | None:
        return obj.agency.name if obj.agency else None

    @staticmethod
    def resolve_block_code(obj: PublishedFigure) -> str | None:
        return obj.block.code if obj.block else None

    @staticmethod
    def resolve_enough_answers(obj: PublishedFigure) -> bool:
        return obj.value is not None and ranking.eligible(obj.n, selectors.min_answers())

    @staticmethod
    def resolve_value(obj: PublishedFigure) -> Decimal | None:
        return obj.value if FigureOut.resolve_enough_answers(obj) else None

    @staticmethod
    def resolve_ci_low(obj: PublishedFigure) -> Decimal | None:
        return obj.ci_low if FigureOut.resolve_enough_answers(obj) else None

    @staticmethod
    def resolve_ci_high(obj: PublishedFigure) -> Decimal | None:
        return obj.ci_high if FigureOut.resolve_enough_answers(obj) else None


class TargetOut(Schema):
    measure: str
    threshold: Decimal
    target_year: int
    label: str
    unit_code: str | None = None
    effective_from: date
    effective_to: date | None = None
    source: str = ""


class RankOut(Schema):
    code: str
    name: str
    value: Decimal
    n: int | None = None
    is_estimate: bool
    rank: int | None = Field(None, description="null: too few answers to be ranked")
    previous_rank: int | None = None
    rank_change: int | None = Field(None, description="places gained since the previous snapshot")


@router.get("/figures", response=list[FigureOut], summary="Published index values")
@paginate(LimitOffsetPagination)
def figures(
    request: HttpRequest,
    measure: str | None = None,
    unit: str | None = None,
    agency: str | None = None,
    year: int | None = None,
    structure: str | None = None,
    period: str | None = None,
) -> list[FigureOut]:
    """Figures filtered by measure code, unit code, agency code, year, period ("" whole year, M01–M12, Q1–Q4)
    and unit structure (2025 or legacy)."""
    figures = selectors.api_figures(measure=measure, unit=unit, agency=agency, year=year, structure=structure)
    if period is not None:
        figures = figures.filter(period=period.upper())
    return figures  # type: ignore[return-value]


@router.get("/targets", response=list[TargetOut], summary="Targets in force and their history")
def targets(request: HttpRequest, measure: str | None = None) -> list[TargetOut]:
    """Every target version with its effective dates."""
    return selectors.api_targets(measure=measure)  # type: ignore[return-value]


@router.get("/rankings", response=list[RankOut], summary="The latest daily ranking snapshot")
def rankings(request: HttpRequest, measure: str = "sipas", group: str = "province") -> list[RankOut]:
    """Ranks from the latest snapshot of a measure and comparison group (province, commune:<code>, block:<code>)."""
    return selectors.latest_snapshot_rows(measure, group)  # type: ignore[return-value]


class MonthOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    published_at: Any
    judged_at: Any
    ruleset: str
    is_demo: bool


class GroupPointsOut(Schema):
    id: str
    label: str
    points: Decimal | None = None
    max_points: Decimal | None = None


class Rank766Out(Schema):
    kind: str = Field(..., description="province, agency or commune")
    code: str
    name: str
    group: str = Field(..., description="comparison group: province, block:<code>, commune:<province code>")
    total: Decimal
    band: str
    rank: int | None = None
    previous_rank: int | None = Field(None, description="rank in the previous published month")
    rank_change: int | None = None
    dossiers: int
    groups: list[GroupPointsOut]


class LateUnitOut(Schema):
    province_code: str | None = None
    agency_code: str
    agency_name: str
    late: int
    counted: int


class LateOfficialOut(Schema):
    province_code: str | None = None
    agency_code: str
    agency_name: str
    officer: str
    department: str
    late_steps: int


class LateListsOut(Schema):
    month: str
    units: list[LateUnitOut]
    officials: list[LateOfficialOut]


def _month(key: str) -> Any:
    months = index766.published_months()
    month = index766.find_month(key, months)
    if month is None:
        raise Http404("month not published")
    return months, month


@router.get("/index766/months", response=list[MonthOut], summary="Published months of the 766 index")
def index766_months(request: HttpRequest) -> list[MonthOut]:
    """Every published month, newest first."""
    return [
        MonthOut(
            month=m.key,
            published_at=m.published_at,
            judged_at=m.judged_at,
            ruleset=m.ruleset,
            is_demo=m.is_demo,
        )
        for m in index766.published_months()
    ]


@router.get("/index766/rankings", response=list[Rank766Out], summary="766 rankings of a published month")
def index766_rankings(request: HttpRequest, month: str = "", province: str = "") -> list[Rank766Out]:
    """Provinces, the province's agencies within each block and its communes, with the previous month's ranks."""
    months, found = _month(month)
    unit = selectors.current_unit(province) if province else index766.home_province(found)
    result = index766.rankings(found, months, unit)
    rows = [*result.provinces, *(r for _b, rs in result.blocks for r in rs), *result.communes]
    return [
        Rank766Out(
            kind=r.kind,
            code=r.code,
            name=r.name,
            group=r.group_key,
            total=r.total,
            band=r.band,
            rank=r.rank,
            previous_rank=r.previous_rank,
            rank_change=r.change,
            dossiers=r.dossiers,
            groups=[
                GroupPointsOut(id=g.id, label=g.label, points=g.points, max_points=g.max_points)
                for g in r.groups
            ],
        )
        for r in rows
    ]


@router.get(
    "/index766/late", response=LateListsOut, summary="The published monthly late lists (Decision 766)"
)
def index766_late(request: HttpRequest, month: str = "", province: str = "") -> LateListsOut:
    """Late agencies and the officials whose processing steps ran late, as published for the month."""
    _months, found = _month(month)
    unit = selectors.current_unit(province) if province else None
    lists = index766.late_lists(found, unit)
    return LateListsOut(
        month=found.key,
        units=[
            LateUnitOut(
                province_code=u["province__code"],
                agency_code=u["agency_code"],
                agency_name=u["agency_name"],
                late=u["late"],
                counted=u["counted"],
            )
            for u in lists.units
        ],
        officials=[LateOfficialOut(province_code=o.pop("province__code"), **o) for o in lists.officials],
    )
