"""Writes for administrative units and agencies. Callers own the transaction (request or command edge)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from thuocdo.audit.services import record_change
from thuocdo.core.text import fold
from thuocdo.shared.tabular import ImportFailed, Row, RowError, read_table, require_columns, write_table
from thuocdo.units import sources
from thuocdo.units.hours import OfficeHoursError, format_office_hours, parse_office_hours
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock, UnitLineage

LEVEL_ORDER = (sources.PROVINCE, sources.DISTRICT, sources.COMMUNE)
VALIDITY: dict[str, tuple[date | None, date | None]] = {
    sources.CURRENT: (sources.REORGANISED_ON, None),
    sources.LEGACY: (None, sources.REORGANISED_ON),
}
UNIT_FIELDS = [
    "name",
    "short_name",
    "division_type",
    "parent",
    "valid_from",
    "valid_to",
    "search_name",
    "search_short",
    "latitude",
    "longitude",
    "area_km2",
]


class Progress(Protocol):
    """What the loaders need from a progress bar (tqdm satisfies it)."""

    total: float | None

    def update(self, n: float = 1) -> bool | None: ...

    def refresh(self) -> None: ...


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lineage_created: int = 0
    lineage_updated: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.lineage_created or self.lineage_updated)


def load_units(
    *, provinces: Iterable[str] | None = None, actor: Any = None, progress: Progress | None = None
) -> LoadReport:
    """Create or update units of both structures and their lineage from the bundled dataset (idempotent)."""
    dataset = sources.read_dataset(provinces)
    if progress is not None:
        progress.total = len(dataset.units) + len(dataset.lineage)
        progress.refresh()
    report = LoadReport()
    report.counts = dict(Counter(f"{u.structure}/{u.level}" for u in dataset.units))
    existing: dict[sources.UnitKey, AdminUnit] = {
        (u.structure, u.level, u.code): u for u in AdminUnit.objects.filter(structure__in=list(VALIDITY))
    }
    for level in LEVEL_ORDER:
        records = [r for r in dataset.units if r.level == level]
        to_create: list[AdminUnit] = []
        to_update: list[AdminUnit] = []
        for record in records:
            valid_from, valid_to = VALIDITY[record.structure]
            values: dict[str, Any] = {
                "name": record.name,
                "short_name": record.short_name,
                "division_type": record.division_type,
                "parent_id": existing[record.parent].pk if record.parent else None,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "search_name": fold(record.name),
                "search_short": sources.loose_key(record.short_name),
                "latitude": record.latitude,
                "longitude": record.longitude,
                "area_km2": record.area_km2,
            }
            unit = existing.get(record.key)
            if unit is None:
                unit = AdminUnit(structure=record.structure, level=record.level, code=record.code, **values)
                to_create.append(unit)
                existing[record.key] = unit
                continue
            changed = [name for name, value in values.items() if getattr(unit, name) != value]
            if changed:
                for name in changed:
                    setattr(unit, name, values[name])
                to_update.append(unit)
            else:
                report.unchanged += 1
        AdminUnit.objects.bulk_create(to_create, batch_size=1000)
        if to_create and to_create[0].pk is None:  # only on a database that cannot return ids
            fresh = AdminUnit.objects.filter(structure__in=list(VALIDITY), level=level)
            ids = {(u.structure, u.level, u.code): u.pk for u in fresh}
            for unit in to_create:
                unit.pk = ids[(unit.structure, unit.level, unit.code)]
        AdminUnit.objects.bulk_update(to_update, UNIT_FIELDS, batch_size=500)
        report.created += len(to_create)
        report.updated += len(to_update)
        if progress is not None:
            progress.update(len(records))
    refresh_unit_paths()
    _load_lineage(dataset.lineage, existing, report)
    if progress is not None:
        progress.update(len(dataset.lineage))
    if report.changed:
        record_change(
            actor=actor or "system",
            action="units.load",
            object_type="units.adminunit",
            summary=f"Nạp danh mục đơn vị hành chính: {report.created} mới, {report.updated} cập nhật",
            data={
                "created": report.created,
                "updated": report.updated,
                "lineage_created": report.lineage_created,
                "lineage_updated": report.lineage_updated,
                "provinces": sorted(provinces) if provinces is not None else "all",
            },
        )
    return report


def _load_lineage(
    records: Sequence[sources.LineageRecord], units: dict[sources.UnitKey, AdminUnit], report: LoadReport
) -> None:
    existing = {
        (e.predecessor_id, e.successor_id): e
        for e in UnitLineage.objects.filter(effective_on=sources.REORGANISED_ON)
    }
    to_create: list[UnitLineage] = []
    to_update: list[UnitLineage] = []
    for record in records:
        predecessor, successor = units[record.predecessor], units[record.successor]
        edge = existing.get((predecessor.pk, successor.pk))
        if edge is None:
            edge = UnitLineage(
                predecessor=predecessor,
                successor=successor,
                effective_on=sources.REORGANISED_ON,
                is_primary=record.is_primary,
                note=record.note,
            )
            existing[(predecessor.pk, successor.pk)] = edge
            to_create.append(edge)
        elif edge.is_primary != record.is_primary or edge.note != record.note:
            edge.is_primary, edge.note = record.is_primary, record.note
            to_update.append(edge)
    UnitLineage.objects.bulk_create(to_create, batch_size=2000)
    UnitLineage.objects.bulk_update(to_update, ["is_primary", "note"], batch_size=500)
    report.lineage_created += len(to_create)
    report.lineage_updated += len(to_update)


def refresh_unit_paths() -> int:
    """Recompute every unit's materialised path ("/<province id>/<district id>/<id>/"); returns rows changed."""
    own = Cast("pk", output_field=CharField())
    root_path = Concat(Value("/"), own, Value("/"), output_field=CharField())
    changed = AdminUnit.objects.filter(parent__isnull=True).exclude(path=root_path).update(path=root_path)
    parent_path = Subquery(AdminUnit.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    child_path = Concat(parent_path, own, Value("/"), output_field=CharField())
    # One statement per depth, top-down, so each level reads its parents' already-corrected paths.
    for level in (sources.DISTRICT, sources.COMMUNE):
        changed += (
            AdminUnit.objects.filter(parent__isnull=False, level=level)
            .exclude(path=child_path)
            .update(path=child_path)
        )
    return changed


# --- Agencies -----------------------------------------------------------------------------------------

AGENCY_COLUMNS = [
    "code",
    "name",
    "short_name",
    "kind",
    "parent_code",
    "unit_code",
    "block",
    "phone",
    "email",
    "address",
    "office_hours",
]
AGENCY_ALIASES: dict[str, Iterable[str]] = {
    "code": ["mã", "mã cơ quan", "mã định danh", "mã đơn vị"],
    "name": ["tên", "tên cơ quan", "tên đơn vị"],
    "short_name": ["tên viết tắt", "tên ngắn", "viết tắt"],
    "kind": ["loại", "loại cơ quan", "loại hình"],
    "parent_code": ["mã cơ quan cha", "mã cha", "mã cơ quan cấp trên", "trực thuộc", "cơ quan cha"],
    "unit_code": ["mã địa bàn", "mã đơn vị hành chính", "mã đvhc", "địa bàn"],
    "block": ["khối", "khối so sánh", "mã khối"],
    "phone": ["điện thoại", "số điện thoại", "sđt"],
    "email": ["thư điện tử", "e-mail"],
    "address": ["địa chỉ"],
    "office_hours": ["giờ làm việc", "thời gian làm việc"],
}
KIND_ALIASES: dict[str, str] = {
    "bo": Agency.Kind.MINISTRY,
    "so": Agency.Kind.DEPARTMENT,
    "so, nganh": Agency.Kind.DEPARTMENT,
    "ubnd tinh": Agency.Kind.PROVINCE_COMMITTEE,
    "ubnd xa": Agency.Kind.COMMUNE_COMMITTEE,
    "nganh doc": Agency.Kind.VERTICAL,
    "don vi su nghiep": Agency.Kind.PUBLIC_SERVICE_UNIT,
    "trung tam phuc vu hanh chinh cong": Agency.Kind.SERVICE_CENTRE,
}
AGENCY_FIELDS = [
    "name",
    "short_name",
    "kind",
    "parent",
    "admin_unit",
    "block",
    "phone",
    "email",
    "address",
    "office_hours",
    "valid_from",
    "valid_to",
]


class AgencyError(ValueError):
    """A create or update that would leave the agency tree inconsistent."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def agency_snapshot(agency: Agency) -> dict[str, Any]:
    """The agency as an export row (codes instead of ids); also what the audit log records."""
    return {
        "code": agency.code,
        "name": agency.name,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "parent_code": agency.parent.code if agency.parent_id else "",  # type: ignore[union-attr]
        "unit_code": agency.admin_unit.code if agency.admin_unit_id else "",  # type: ignore[union-attr]
        "block": agency.block.code if agency.block_id else "",  # type: ignore[union-attr]
        "phone": agency.phone,
        "email": agency.email,
        "address": agency.address,
        "office_hours": format_office_hours(agency.office_hours or []),
    }


def create_agency(
    *,
    actor: Any = None,
    code: str,
    name: str,
    kind: str,
    short_name: str = "",
    parent: Agency | None = None,
    admin_unit: AdminUnit | None = None,
    block: ComparisonBlock | None = None,
    phone: str = "",
    email: str = "",
    address: str = "",
    office_hours: list[list[str]] | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    audit_note: str = "",
) -> Agency:
    """Create an agency under `parent` (audit-logged)."""
    agency = Agency(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        short_name=short_name,
        parent=parent,
        admin_unit=admin_unit,
        block=block,
        phone=phone,
        email=email,
        address=address,
        office_hours=office_hours or [],
        valid_from=valid_from,
        valid_to=valid_to,
        search_name=fold(name),
    )
    agency.full_clean(exclude=["path", "search_name"])
    agency.save()
    agency.path = f"{parent.path if parent else '/'}{agency.pk}/"
    agency.save(update_fields=["path"])
    record_change(
        actor=actor,
        action="agency.create",
        obj=agency,
        summary=f"Thêm cơ quan {agency.code} {agency.name}{audit_note}",
        data=agency_snapshot(agency),
    )
    return agency


def update_agency(*, actor: Any = None, agency: Agency, audit_note: str = "", **changes: Any) -> Agency:
    """Change an agency's fields (audit-logged with before/after); moving it moves its subtree."""
    unknown = set(changes) - set(AGENCY_FIELDS)
    if unknown:
        raise TypeError(f"unknown agency fields: {sorted(unknown)}")
    before = agency_snapshot(agency)
    new_parent = changes.get("parent", agency.parent)
    if "parent" in changes and new_parent is not None and new_parent.path.startswith(agency.path):
        raise AgencyError(f"{agency.code}: không thể đặt trực thuộc chính nó hoặc đơn vị cấp dưới của nó")
    for name, value in changes.items():
        setattr(agency, name, value)
    agency.search_name = fold(agency.name)
    agency.full_clean(exclude=["path", "search_name"])
    old_path = agency.path
    agency.path = f"{new_parent.path if new_parent else '/'}{agency.pk}/"
    agency.save()
    if agency.path != old_path:
        moved = list(Agency.objects.filter(path__startswith=old_path).exclude(pk=agency.pk))
        for descendant in moved:
            descendant.path = agency.path + descendant.path[len(old_path) :]
        Agency.objects.bulk_update(moved, ["path"], batch_size=500)
    after = agency_snapshot(agency)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if diff:
        record_change(
            actor=actor,
            action="agency.update",
            obj=agency,
            summary=f"Sửa cơ quan {agency.code} {agency.name}{audit_note}",
            data={"changes": diff},
        )
    return agency


def normalise_unit_code(raw: str) -> tuple[str, str] | None:
    """("province", "66") or ("commune", "24121") from a GSO code that a spreadsheet may have stripped of zeros."""
    digits = raw.strip()
    if not digits.isdigit() or len(digits) > 5:
        return None
    if len(digits) <= 2:
        return sources.PROVINCE, digits.zfill(2)
    return sources.COMMUNE, digits.zfill(5)


@dataclass
class _ParsedRow:
    row: Row
    code: str
    values: dict[str, Any]
    parent_code: str


def import_agencies(
    *,
    source: str | Path | IO[bytes],
    name: str | None = None,
    actor: Any = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update agencies from a CSV/XLSX file: every row applies, or none does (ImportFailed)."""
    table = read_table(source, name=name, aliases=AGENCY_ALIASES)
    require_columns(table, ["code", "name", "kind"])
    existing = {a.code: a for a in Agency.objects.select_related("parent", "admin_unit", "block")}
    blocks: dict[str, ComparisonBlock] = {}
    for known_block in ComparisonBlock.objects.all():
        blocks[fold(known_block.code)] = known_block
        blocks[fold(known_block.name)] = known_block
    kinds = {fold(value): value for value in Agency.Kind.values}
    kinds.update({fold(str(label)): value for value, label in Agency.Kind.choices})
    kinds.update(KIND_ALIASES)
    units = {(u.level, u.code): u for u in AdminUnit.objects.filter(structure=sources.CURRENT)}
    errors: list[RowError] = []
    parsed: list[_ParsedRow] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        row_errors: list[RowError] = []
        code = row.get("code")
        if not code:
            row_errors.append(row.error("code", "thiếu mã cơ quan"))
        elif len(code) > 40 or not re.fullmatch(r"[\w.\-/]+", code):
            row_errors.append(
                row.error("code", f"mã «{code}» chỉ được gồm chữ, số, dấu chấm, gạch ngang (tối đa 40 ký tự)")
            )
        elif code in seen:
            row_errors.append(row.error("code", f"mã «{code}» trùng với dòng {seen[code]}"))
        else:
            seen[code] = row.number
        agency_name = row.get("name")
        if not agency_name:
            row_errors.append(row.error("name", "thiếu tên cơ quan"))
        elif len(agency_name) > 255:
            row_errors.append(row.error("name", "tên dài quá 255 ký tự"))
        kind = kinds.get(fold(row.get("kind")))
        if kind is None:
            row_errors.append(
                row.error(
                    "kind",
                    f"loại «{row.get('kind')}» không có; dùng một trong: {', '.join(Agency.Kind.values)}",
                )
            )
        block: ComparisonBlock | None = None
        if row.get("block"):
            block = blocks.get(fold(row.get("block")))
            if block is None:
                known = ", ".join(sorted(b.code for b in set(blocks.values())))
                row_errors.append(
                    row.error("block", f"khối «{row.get('block')}» không có; dùng một trong: {known}")
                )
        unit = None
        if row.get("unit_code"):
            key = normalise_unit_code(row.get("unit_code"))
            unit = units.get(key) if key else None
            if unit is None:
                row_errors.append(
                    row.error(
                        "unit_code",
                        f"mã địa bàn «{row.get('unit_code')}» không có trong danh mục đơn vị hành chính hiện hành",
                    )
                )
        try:
            hours = parse_office_hours(row.get("office_hours"))
        except OfficeHoursError as exc:
            row_errors.append(row.error("office_hours", f"{exc} (ví dụ: 07:00-11:30,13:30-17:00)"))
            hours = []
        email = row.get("email")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(row.error("email", f"«{email}» không phải địa chỉ thư điện tử hợp lệ"))
        for column, limit in (("short_name", 80), ("phone", 40), ("address", 255)):
            if len(row.get(column)) > limit:
                row_errors.append(row.error(column, f"dài quá {limit} ký tự"))
        errors.extend(row_errors)
        if not row_errors:
            parsed.append(
                _ParsedRow(
                    row=row,
                    code=code,
                    parent_code=row.get("parent_code"),
                    values={
                        "name": agency_name,
                        "short_name": row.get("short_name"),
                        "kind": kind,
                        "admin_unit": unit,
                        "block": block,
                        "phone": row.get("phone"),
                        "email": email,
                        "address": row.get("address"),
                        "office_hours": hours,
                    },
                )
            )
    # Parents: in this file or already stored; the resulting tree must not loop.
    parent_of = {code: (a.parent.code if a.parent_id else "") for code, a in existing.items()}  # type: ignore[union-attr]
    for item in parsed:
        if "parent_code" in table.columns:
            parent_of[item.code] = item.parent_code
    for item in parsed:
        parent_code = parent_of.get(item.code, "")
        if not parent_code:
            continue
        if parent_code == item.code:
            errors.append(item.row.error("parent_code", "cơ quan không thể trực thuộc chính nó"))
        elif parent_code not in parent_of and parent_code not in seen:
            errors.append(
                item.row.error(
                    "parent_code", f"không tìm thấy cơ quan cha «{parent_code}» (trong tệp hoặc đã có)"
                )
            )
        elif parent_code in parent_of:
            walk, steps = parent_code, 0
            while walk and steps <= len(parent_of):
                if walk == item.code:
                    errors.append(
                        item.row.error(
                            "parent_code", f"quan hệ trực thuộc tạo thành vòng lặp qua «{parent_code}»"
                        )
                    )
                    break
                walk, steps = parent_of.get(walk, ""), steps + 1
    if errors:
        errors.sort(
            key=lambda e: (e.row or 0, AGENCY_COLUMNS.index(e.column) if e.column in AGENCY_COLUMNS else 99)
        )
        raise ImportFailed(errors)

    if progress is not None:
        progress.total = len(parsed)
        progress.refresh()
    report = ImportReport()
    note = f" (nhập từ {table.file})"
    by_code = dict(existing)
    for item in _parents_first(parsed, parent_of):
        parent_code = parent_of.get(item.code, "")
        values = dict(item.values, parent=by_code[parent_code] if parent_code else None)
        agency = by_code.get(item.code)
        if agency is None:
            by_code[item.code] = create_agency(actor=actor, code=item.code, audit_note=note, **values)
            report.created.append(item.code)
        else:
            changes = {k: v for k, v in values.items() if _differs(getattr(agency, k), v)}
            if changes:
                update_agency(actor=actor, agency=agency, audit_note=note, **changes)
                report.updated.append(item.code)
            else:
                report.unchanged += 1
        if progress is not None:
            progress.update(1)
    return report


def _differs(current: Any, new: Any) -> bool:
    if hasattr(current, "pk") or hasattr(new, "pk"):
        return getattr(current, "pk", None) != getattr(new, "pk", None)
    return bool(current != new)


def _parents_first(items: list[_ParsedRow], parent_of: dict[str, str]) -> list[_ParsedRow]:
    def depth(code: str) -> int:
        n = 0
        while parent_of.get(code):
            code, n = parent_of[code], n + 1
        return n

    return sorted(items, key=lambda item: depth(item.code))


def export_agencies(*, fmt: str, agencies: Iterable[Agency] | None = None) -> bytes:
    """All agencies (or the given ones), parents before children, as CSV or XLSX in the import's format."""
    rows = (
        agencies if agencies is not None else Agency.objects.select_related("parent", "admin_unit", "block")
    )
    data = [[agency_snapshot(a)[c] for c in AGENCY_COLUMNS] for a in rows]
    return write_table(AGENCY_COLUMNS, data, fmt)
