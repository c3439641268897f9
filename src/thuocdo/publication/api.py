"""Read API of published figures, targets and rankings (mounted at /api/publication/, documented by OpenAPI)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from thuocdo.publication import ranking, selectors
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
) -> list[FigureOut]:
    """Figures filtered by measure code, unit code, agency code, year and unit structure (2025 or legacy)."""
    return selectors.api_figures(  # type: ignore[return-value]
        measure=measure, unit=unit, agency=agency, year=year, structure=structure
    )


@router.get("/targets", response=list[TargetOut], summary="Targets in force and their history")
def targets(request: HttpRequest, measure: str | None = None) -> list[TargetOut]:
    """Every target version with its effective dates."""
    return selectors.api_targets(measure=measure)  # type: ignore[return-value]


@router.get("/rankings", response=list[RankOut], summary="The latest daily ranking snapshot")
def rankings(request: HttpRequest, measure: str = "sipas", group: str = "province") -> list[RankOut]:
    """Ranks from the latest snapshot of a measure and comparison group (province, commune:<code>, block:<code>)."""
    return selectors.latest_snapshot_rows(measure, group)  # type: ignore[return-value]
