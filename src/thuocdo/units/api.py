"""JSON API for administrative units and agencies (mounted at /api/units/)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from thuocdo.units import selectors
from thuocdo.units.hours import format_office_hours
from thuocdo.units.models import AdminUnit, Agency

router = Router(tags=["units"])


class UnitOut(Schema):
    structure: str
    level: str
    code: str
    name: str
    short_name: str
    division_type: str
    parent_code: str | None
    parent_name: str | None
    valid_from: date | None
    valid_to: date | None
    latitude: float | None
    longitude: float | None
    area_km2: float | None


class LinkedUnitOut(UnitOut):
    is_primary: bool


class UnitDetailOut(UnitOut):
    predecessors: list[LinkedUnitOut]
    successors: list[LinkedUnitOut]
    current: list[LinkedUnitOut]
    children_count: int


class AgencyOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    parent_code: str | None
    unit_code: str | None
    unit_name: str | None
    block: str | None
    phone: str
    email: str
    address: str
    office_hours: str


def _unit(unit: AdminUnit) -> dict[str, object]:
    parent = unit.parent if unit.parent_id else None
    return {
        "structure": unit.structure,
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "division_type": unit.division_type,
        "parent_code": parent.code if parent else None,
        "parent_name": parent.name if parent else None,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "latitude": unit.latitude,
        "longitude": unit.longitude,
        "area_km2": unit.area_km2,
    }


def _linked(items: list[selectors.Successor]) -> list[dict[str, object]]:
    return [dict(_unit(item.unit), is_primary=item.is_primary) for item in items]


@router.get("/search", response=list[UnitOut], summary="Tìm đơn vị hành chính theo tên (không phân biệt dấu)")
def search(
    request: HttpRequest, q: str, structure: str | None = None, level: str | None = None, limit: int = 20
) -> list[dict[str, object]]:
    units = selectors.search_units(q, structure=structure, level=level, limit=max(1, min(limit, 100)))
    return [_unit(u) for u in units]


@router.get("/agencies", response=list[AgencyOut], summary="Cơ quan theo địa bàn, khối hoặc tên")
def agencies(
    request: HttpRequest,
    unit: str | None = None,
    block: str | None = None,
    q: str | None = None,
    limit: int = 200,
) -> list[dict[str, object]]:
    found = selectors.search_agencies(unit_code=unit, block=block, query=q, limit=max(1, min(limit, 1000)))
    return [_agency(a) for a in found]


def _agency(agency: Agency) -> dict[str, object]:
    return {
        "code": agency.code,
        "name": agency.name,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "kind_label": str(agency.get_kind_display()),
        "parent_code": agency.parent.code if agency.parent_id else None,  # type: ignore[union-attr]
        "unit_code": agency.admin_unit.code if agency.admin_unit_id else None,  # type: ignore[union-attr]
        "unit_name": agency.admin_unit.name if agency.admin_unit_id else None,  # type: ignore[union-attr]
        "block": agency.block.code if agency.block_id else None,  # type: ignore[union-attr]
        "phone": agency.phone,
        "email": agency.email,
        "address": agency.address,
        "office_hours": format_office_hours(agency.office_hours or []),
    }


@router.get(
    "/{structure}/{level}/{code}",
    response=UnitDetailOut,
    summary="Một đơn vị, với đơn vị tiền thân và kế thừa",
)
def unit_detail(request: HttpRequest, structure: str, level: str, code: str) -> dict[str, object]:
    unit = selectors.get_unit(structure, level, code)
    if unit is None:
        raise HttpError(404, f"Không có đơn vị {structure}/{level}/{code}")
    return dict(
        _unit(unit),
        predecessors=_linked(selectors.predecessors(unit)),
        successors=_linked(selectors.successors(unit)),
        current=_linked(selectors.current_successors(unit)),
        children_count=selectors.children(unit).count(),
    )
