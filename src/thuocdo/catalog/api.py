"""JSON API for the procedure catalogue (mounted at /api/catalog/)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from thuocdo.catalog import selectors
from thuocdo.catalog.models import Procedure

router = Router(tags=["catalog"])


class ProcedureOut(Schema):
    code: str
    name: str
    field_code: str = Field(..., alias="field.code")
    field_name: str = Field(..., alias="field.name")
    levels: list[str]
    time_limit: float | None
    time_limit_unit: str
    time_limit_text: str = Field(..., alias="time_limit_display", description="the time limit in Vietnamese")
    online_time_limit: float | None
    fee_bearing: bool
    online_level: str
    full_online_eligible: bool


class ProcedureDetailOut(ProcedureOut):
    issues_paper_result: bool
    citizen_subject: bool
    components_complete: bool
    decision_number: str
    published_on: date | None
    made_public_on: date | None
    legal_effective_on: date | None
    effective_from: date | None
    effective_to: date | None
    agency_codes: list[str]

    @staticmethod
    def resolve_agency_codes(obj: Procedure) -> list[str]:
        return sorted(obj.agencies.values_list("code", flat=True))


@router.get("/procedures", response=list[ProcedureOut], summary="Tra cứu thủ tục hành chính (phân trang)")
@paginate(PageNumberPagination, page_size=50)
def list_procedures(
    request: HttpRequest, q: str = "", field: str = "", level: str = "", online_level: str = ""
) -> QuerySet[Procedure]:
    """Procedures by code prefix or accent-insensitive name, filtered by field code, level and online level."""
    if level and level not in Procedure.Level.values:
        raise HttpError(422, f"level must be one of {', '.join(Procedure.Level.values)}")
    if online_level and online_level not in Procedure.OnlineLevel.values:
        raise HttpError(422, f"online_level must be one of {', '.join(Procedure.OnlineLevel.values)}")
    return selectors.search_procedures(q=q, field_code=field, level=level, online_level=online_level)


@router.get("/procedures/{code}", response=ProcedureDetailOut, summary="Một thủ tục hành chính theo mã")
def get_procedure(request: HttpRequest, code: str) -> Procedure:
    """One procedure with its publication dates and implementing agencies' codes."""
    procedure = selectors.procedure_by_code(code)
    if procedure is None:
        raise HttpError(404, f"no procedure with code {code}")
    return procedure
