"""Writing the procedure catalogue: import from the national TTHC database's export, export back.

An import reads and checks every row first; nothing is written unless the whole file is good.
Only the columns a file has are touched, so a file with just codes and time limits updates time
limits and leaves the rest alone. Re-importing the same file changes nothing (it is idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.text import slugify

from thuocdo.audit.services import record_change
from thuocdo.catalog import columns as col
from thuocdo.catalog.models import Procedure, ProcedureField
from thuocdo.core.text import fold
from thuocdo.core.timelimit import TimeLimitError, TimeUnit, parse_time_limit
from thuocdo.shared.tabular import ImportFailed, Row, RowError, read_table, require_columns, write_table
from thuocdo.units.models import Agency


@dataclass
class ProcedureRecord:
    """One procedure as a source states it; `values` holds only the attributes the source gives."""

    code: str
    name: str
    field_code: str
    field_name: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    agency_codes: list[str] | None = None  # None: the source says nothing about agencies
    row: Row | None = field(default=None, repr=False, compare=False)  # where it was read, for error messages


@dataclass
class CatalogChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    fields_created: list[str] = field(default_factory=list)


@dataclass
class ProcedureImport:
    file: str
    changes: CatalogChanges
    dry_run: bool

    def summary(self) -> str:
        """One Vietnamese sentence: what the import did (or would do)."""
        c = self.changes
        verb = "Sẽ nhập" if self.dry_run else "Đã nhập"
        return (
            f"{verb} {len(c.created) + len(c.updated) + len(c.unchanged)} thủ tục từ {self.file}: "
            f"{len(c.created)} mới, {len(c.updated)} cập nhật, {len(c.unchanged)} không đổi; "
            f"{len(c.fields_created)} lĩnh vực mới."
        )


def import_procedures(
    *, source: str | Path | IO[bytes], name: str | None = None, actor: Any = None, dry_run: bool = False
) -> ProcedureImport:
    """Import procedures from a CSV/XLSX file, all or nothing; raises ImportFailed listing every problem."""
    file, records = read_procedure_file(source=source, name=name)
    changes = save_procedures(records=records, dry_run=dry_run)
    result = ProcedureImport(file=file, changes=changes, dry_run=dry_run)
    if not dry_run:
        record_change(
            actor=actor,
            action="catalog.import_procedures",
            object_type="catalog.procedure",
            summary=result.summary(),
            data={
                "file": file,
                "created": len(changes.created),
                "updated": len(changes.updated),
                "unchanged": len(changes.unchanged),
                "fields_created": changes.fields_created,
                "created_codes": changes.created[:500],
                "updated_codes": changes.updated[:500],
            },
        )
    return result


def read_procedure_file(
    *, source: str | Path | IO[bytes], name: str | None = None
) -> tuple[str, list[ProcedureRecord]]:
    """Read and check a procedure file without writing; raises ImportFailed with every problem found."""
    aliases: dict[str, Iterable[str]] = dict(col.ALIASES)
    table = read_table(source, name=name, aliases=aliases)
    require_columns(table, ["code", "name"])
    if "field_code" not in table.columns and "field_name" not in table.columns:
        raise ImportFailed(
            [RowError(table.file, 1, col.label("field_code"), "thiếu cột mã lĩnh vực hoặc lĩnh vực")]
        )
    present = set(table.columns)
    errors: list[RowError] = []
    records: list[ProcedureRecord] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        record = _read_row(row, present, errors)
        if record is None:
            continue
        if record.code in first_row:
            errors.append(
                row.error(
                    col.label("code"), f"mã thủ tục {record.code} trùng với dòng {first_row[record.code]}"
                )
            )
            continue
        first_row[record.code] = row.number
        records.append(record)
    _check_agencies(records, errors)
    _resolve_fields_by_name(records, errors)
    if errors:
        raise ImportFailed(errors)
    if not records:
        raise ImportFailed([RowError(table.file, None, None, "tệp không có dòng dữ liệu nào")])
    return table.file, records


def _read_row(row: Row, present: set[str], errors: list[RowError]) -> ProcedureRecord | None:
    count = len(errors)

    def read(column: str, reader: Any) -> Any:
        try:
            return reader(row.get(column))
        except ValueError as exc:  # TimeLimitError is a ValueError too
            errors.append(row.error(col.label(column), str(exc)))
            return None

    code = read("code", col.read_code)
    name = row.get("name")
    if not name:
        errors.append(row.error(col.label("name"), "thiếu tên thủ tục"))
    elif len(name) > 500:
        errors.append(row.error(col.label("name"), "tên thủ tục dài quá 500 ký tự"))
    field_code = row.get("field_code")
    field_name = row.get("field_name")
    if not field_code and not field_name:
        errors.append(row.error(col.label("field_code"), "thiếu mã lĩnh vực (hoặc tên lĩnh vực)"))
    elif len(field_code) > 40:
        errors.append(row.error(col.label("field_code"), "mã lĩnh vực dài quá 40 ký tự"))
    values: dict[str, Any] = {}
    if "levels" in present:
        values["levels"] = read("levels", col.read_levels)
    unit: TimeUnit | None = None
    if "time_limit_unit" in present and row.get("time_limit_unit"):
        unit = read("time_limit_unit", col.read_unit)
        values["time_limit_unit"] = unit
    if "time_limit" in present:
        try:
            limit = parse_time_limit(row.get("time_limit"), unit=unit)
        except TimeLimitError as exc:
            errors.append(row.error(col.label("time_limit"), str(exc)))
        else:
            values["time_limit"] = limit.value if limit else None
            if limit is not None:
                unit = values["time_limit_unit"] = limit.unit
    if "online_time_limit" in present:
        try:
            online = parse_time_limit(row.get("online_time_limit"), unit=unit)
        except TimeLimitError as exc:
            errors.append(row.error(col.label("online_time_limit"), str(exc)))
        else:
            values["online_time_limit"] = online.value if online else None
    if "fee" in present:
        values["fee_bearing"] = col.read_fee(row.get("fee"))
    if "online_level" in present:
        values["online_level"] = read("online_level", col.read_online_level)
    for column in col.BOOLEAN_COLUMNS:
        if column in present and row.get(column):
            values[column] = read(column, col.read_bool)
    if "citizen_subject" in present and row.get("citizen_subject"):
        values["citizen_subject"] = col.read_citizen_subject(row.get("citizen_subject"))
    if "decision_number" in present:
        number = row.get("decision_number")
        if len(number) > 80:
            errors.append(row.error(col.label("decision_number"), "số quyết định dài quá 80 ký tự"))
        values["decision_number"] = number
    for column in col.DATE_COLUMNS:
        if column in present:
            values[column] = read(column, col.read_date) if row.get(column) else None
    start, end = values.get("effective_from"), values.get("effective_to")
    if start and end and end <= start:
        errors.append(row.error(col.label("effective_to"), "ngày hết hiệu lực phải sau ngày có hiệu lực"))
    agency_codes = col.read_agency_codes(row.get("agency_codes")) if "agency_codes" in present else None
    if len(errors) > count:
        return None
    return ProcedureRecord(
        code=code,
        name=name,
        field_code=field_code,
        field_name=field_name,
        values=values,
        agency_codes=agency_codes,
        row=row,
    )


def _check_agencies(records: list[ProcedureRecord], errors: list[RowError]) -> None:
    wanted = {c for r in records for c in (r.agency_codes or [])}
    known = set(Agency.objects.filter(code__in=wanted).values_list("code", flat=True))
    for record in records:
        unknown = [c for c in record.agency_codes or [] if c not in known]
        if unknown and record.row is not None:
            errors.append(
                record.row.error(
                    col.label("agency_codes"),
                    f"không có cơ quan mang mã {', '.join(unknown)} trong danh mục cơ quan",
                )
            )


def _resolve_fields_by_name(records: list[ProcedureRecord], errors: list[RowError]) -> None:
    # A file without field codes names fields only; match them to known fields, or give new ones a code from the name.
    by_name = {fold(f.name): f.code for f in ProcedureField.objects.all()}
    by_name.update({fold(r.field_name): r.field_code for r in records if r.field_code and r.field_name})
    for record in records:
        if record.field_code:
            continue
        code = by_name.get(fold(record.field_name)) or slugify(fold(record.field_name))[:40]
        if not code and record.row is not None:
            errors.append(record.row.error(col.label("field_name"), "không tạo được mã lĩnh vực từ tên"))
            continue
        record.field_code = by_name[fold(record.field_name)] = code


def save_procedures(*, records: Iterable[ProcedureRecord], dry_run: bool = False) -> CatalogChanges:
    """Create or update procedures (and their fields and agencies) by code; with dry_run, only count."""
    records = list(records)
    changes = CatalogChanges()
    fields = _save_fields(records, changes, dry_run)
    existing = {p.code: p for p in Procedure.objects.filter(code__in=[r.code for r in records])}
    current_agencies: dict[int, set[str]] = {}
    through = Procedure.agencies.through
    for procedure_id, agency_code in through.objects.filter(procedure__code__in=list(existing)).values_list(
        "procedure_id", "agency__code"
    ):
        current_agencies.setdefault(procedure_id, set()).add(agency_code)
    to_create: list[Procedure] = []
    to_update: list[Procedure] = []
    updated_columns: set[str] = set()
    agencies_to_set: dict[str, list[str]] = {}
    for record in records:
        procedure = existing.get(record.code)
        is_new = procedure is None
        if procedure is None:
            procedure = Procedure(code=record.code)
            if "full_online_eligible" not in record.values and "online_level" in record.values:
                procedure.full_online_eligible = record.values["online_level"] == Procedure.OnlineLevel.FULL
        attributes = {"name": record.name, "field_id": fields[record.field_code].pk, **record.values}
        changed = [key for key, value in attributes.items() if getattr(procedure, key) != value]
        for key in changed:
            setattr(procedure, key, attributes[key])
        agencies_changed = record.agency_codes is not None and set(
            record.agency_codes
        ) != current_agencies.get(procedure.pk or -1, set())
        if agencies_changed:
            agencies_to_set[record.code] = record.agency_codes or []
        if is_new:
            procedure.search_name = fold(procedure.name)[:500]
            to_create.append(procedure)
            changes.created.append(record.code)
        elif changed or agencies_changed:
            procedure.search_name = fold(procedure.name)[:500]
            to_update.append(procedure)
            updated_columns.update(changed)
            changes.updated.append(record.code)
        else:
            changes.unchanged.append(record.code)
    if dry_run:
        return changes
    Procedure.objects.bulk_create(to_create, batch_size=500)
    if to_update and updated_columns:
        Procedure.objects.bulk_update(to_update, [*sorted(updated_columns), "search_name"], batch_size=500)
    _set_agencies(agencies_to_set)
    return changes


def _save_fields(
    records: list[ProcedureRecord], changes: CatalogChanges, dry_run: bool
) -> dict[str, ProcedureField]:
    names: dict[str, str] = {}
    for record in records:
        if record.field_name and not names.get(record.field_code):
            names[record.field_code] = record.field_name
        names.setdefault(record.field_code, "")
    fields = {f.code: f for f in ProcedureField.objects.filter(code__in=list(names))}
    for code, name in names.items():
        known = fields.get(code)
        if known is None:
            fields[code] = ProcedureField(code=code, name=name or code)
            changes.fields_created.append(code)
            if not dry_run:
                fields[code].save()
        elif name and known.name != name and not dry_run:
            known.name = name
            known.save(update_fields=["name"])
    return fields


def _set_agencies(agencies_to_set: dict[str, list[str]]) -> None:
    if not agencies_to_set:
        return
    through = Procedure.agencies.through
    procedure_ids = dict(Procedure.objects.filter(code__in=list(agencies_to_set)).values_list("code", "id"))
    agency_codes = {c for codes in agencies_to_set.values() for c in codes}
    agency_ids = dict(Agency.objects.filter(code__in=agency_codes).values_list("code", "id"))
    through.objects.filter(procedure_id__in=list(procedure_ids.values())).delete()
    through.objects.bulk_create(
        [
            through(procedure_id=procedure_ids[code], agency_id=agency_ids[agency])
            for code, agencies in agencies_to_set.items()
            for agency in agencies
        ],
        batch_size=1000,
    )


def export_procedures(*, fmt: str, procedures: Iterable[Procedure] | None = None) -> bytes:
    """The catalogue as CSV or XLSX, with the import's canonical columns: importing it back changes nothing."""
    if procedures is None:
        procedures = Procedure.objects.select_related("field").prefetch_related("agencies").order_by("code")
    return write_table(col.COLUMNS, (_export_row(p) for p in procedures), fmt)


def _yes_no(value: bool) -> str:
    return "Có" if value else "Không"


def _export_row(p: Procedure) -> list[Any]:
    values: dict[str, Any] = {
        "code": p.code,
        "name": p.name,
        "field_code": p.field.code,
        "field_name": p.field.name,
        "levels": "; ".join(p.level_labels),
        "time_limit": col.write_decimal(p.time_limit),
        "time_limit_unit": p.get_time_limit_unit_display(),
        "online_time_limit": col.write_decimal(p.online_time_limit),
        "fee": _yes_no(p.fee_bearing),
        "online_level": p.get_online_level_display(),
        "full_online_eligible": _yes_no(p.full_online_eligible),
        "issues_paper_result": _yes_no(p.issues_paper_result),
        "citizen_subject": _yes_no(p.citizen_subject),
        "components_complete": _yes_no(p.components_complete),
        "decision_number": p.decision_number,
        "agency_codes": "; ".join(sorted(a.code for a in p.agencies.all())),
    }
    for column in col.DATE_COLUMNS:
        values[column] = getattr(p, column) or ""
    return [values[c] for c in col.COLUMNS]
