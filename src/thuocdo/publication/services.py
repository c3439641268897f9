"""Writes for publication: importing history (with merger back-casts), targets, and daily ranking snapshots.

Callers own the transaction (the request, or `transaction.atomic()` in a command): an import either
applies every row or, when any row is wrong, raises ImportFailed before writing anything.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from thuocdo.audit.services import record_change
from thuocdo.publication import measures, ranking, selectors, survey_results
from thuocdo.publication.models import PublishedFigure, Snapshot, SnapshotRow, Target
from thuocdo.shared.tabular import ImportFailed, Row, RowError, read_table
from thuocdo.units.models import AdminUnit, Agency, UnitLineage
from thuocdo.units.services import normalise_unit_code
from thuocdo.units.sources import CURRENT, LEGACY

COMPONENT_PREFIX = "component:"
ALIASES: dict[str, Iterable[str]] = {
    "unit_code": ["ma_don_vi", "mã đơn vị", "ma dvhc", "mã đvhc"],
    "agency_code": ["ma_co_quan", "mã cơ quan"],
    "year": ["nam", "năm"],
    "measure": ["chi_so", "chỉ số"],
    "value": ["gia_tri", "giá trị"],
    "period": ["ky", "kỳ"],
    "n": ["so_phieu", "số phiếu"],
    "weight": ["trong_so", "trọng số"],
    "source": ["nguon", "nguồn"],
}
_PERIOD = re.compile(r"^(Q[1-4]|M(0[1-9]|1[0-2]))$")


@dataclass
class _Parsed:
    row: Row
    unit: AdminUnit | None
    agency: Agency | None
    measure: str
    year: int
    period: str
    values: dict[str, Any]
    weight: Decimal | None


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    estimates: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the operator and the audit log."""
        return (
            f"{self.file}: {self.rows} dòng; {self.created} số liệu mới, {self.updated} cập nhật, "
            f"{self.unchanged} không đổi; {self.estimates} giá trị ước tính cho đơn vị sau sáp nhập"
        )


def import_history(
    *,
    source: str | Path | IO[bytes],
    name: str | None = None,
    actor: Any = None,
    is_demo: bool = False,
    now: Any = None,
) -> ImportReport:
    """Import published index values (unit or agency, year, measure, value, components…) from CSV or XLSX."""
    table = read_table(source, name=name, aliases=ALIASES)
    errors = [
        RowError(table.file, 1, column, "thiếu cột bắt buộc")
        for column in ("year", "measure", "value")
        if column not in table.columns
    ]
    if "unit_code" not in table.columns and "agency_code" not in table.columns:
        errors.append(RowError(table.file, 1, "unit_code", "cần cột unit_code (hoặc agency_code)"))
    if errors:
        raise ImportFailed(errors)
    has_weight = "weight" in table.columns
    parsed: list[_Parsed] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in table.rows:
        item = _parse_row(row, errors, has_weight=has_weight)
        if item is None:
            continue
        key = (
            item.unit.pk if item.unit else None,
            item.agency.pk if item.agency else None,
            item.measure,
            item.year,
            item.period,
        )
        if key in seen:
            errors.append(row.error(None, f"trùng với dòng {seen[key]} (cùng đơn vị, chỉ số, năm và kỳ)"))
            continue
        seen[key] = row.number
        parsed.append(item)
    if errors:
        raise ImportFailed(errors)

    report = ImportReport(file=table.file, rows=len(parsed))
    stamp = now or timezone.now()
    for item in parsed:
        outcome = _upsert(
            unit=item.unit,
            agency=item.agency,
            measure=item.measure,
            year=item.year,
            period=item.period,
            values={**item.values, "is_demo": is_demo, "imported_at": stamp},
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
    _backcast(parsed, report=report, has_weight=has_weight, stamp=stamp, is_demo=is_demo)
    record_change(
        actor=actor,
        action="publication.import_history",
        object_type="publication.publishedfigure",
        summary=report.summary(),
        data={
            "file": report.file,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "estimates": report.estimates,
            "warnings": report.warnings[:50],
        },
    )
    return report


def _parse_row(row: Row, errors: list[RowError], *, has_weight: bool) -> _Parsed | None:
    before = len(errors)
    year = _int(row, "year", errors, low=1990, high=2100)
    measure = row.get("measure")
    if measures.parse(measure) is None:
        errors.append(
            row.error("measure", f"chỉ số «{measure}» không hợp lệ; dùng một trong: {measures.accepted()}")
        )
    period = row.get("period").upper()
    if period and not _PERIOD.match(period):
        errors.append(
            row.error("period", f"kỳ «{period}» không hợp lệ; để trống (cả năm) hoặc Q1–Q4, M01–M12")
        )
    value = _decimal(row, "value", errors, required=True)
    ci_low = _decimal(row, "ci_low", errors)
    ci_high = _decimal(row, "ci_high", errors)
    if value is not None and ci_low is not None and ci_low > value:
        errors.append(row.error("ci_low", "cận dưới lớn hơn giá trị"))
    if value is not None and ci_high is not None and ci_high < value:
        errors.append(row.error("ci_high", "cận trên nhỏ hơn giá trị"))
    n = _int(row, "n", errors, low=0, high=10**9, required=False)
    weight = None
    if has_weight:
        weight = _decimal(row, "weight", errors, low=Decimal(0), high=None)
        if weight is not None and weight <= 0:
            errors.append(row.error("weight", "trọng số phải dương"))
    components: dict[str, float] = {}
    for column in row.values:
        if column.startswith(COMPONENT_PREFIX) and row.get(column):
            number = _decimal(row, column, errors)
            if number is not None:
                components[column[len(COMPONENT_PREFIX) :].strip()] = float(number)
    unit, agency = _who(row, errors, year)
    if len(errors) > before or year is None or value is None:
        return None
    return _Parsed(
        row=row,
        unit=unit,
        agency=agency,
        measure=measure,
        year=year,
        period=period,
        weight=weight,
        values={
            "value": value,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "n": n,
            "components": components,
            "source": row.get("source")[:500],
            "is_estimate": False,
            "estimate_note": "",
        },
    )


def _who(row: Row, errors: list[RowError], year: int | None) -> tuple[AdminUnit | None, Agency | None]:
    unit_code, agency_code = row.get("unit_code"), row.get("agency_code")
    if bool(unit_code) == bool(agency_code):
        errors.append(row.error("unit_code", "ghi đúng một trong hai cột unit_code hoặc agency_code"))
        return None, None
    if agency_code:
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            errors.append(row.error("agency_code", f"không có cơ quan mã «{agency_code}»"))
        return None, agency
    normal = normalise_unit_code(unit_code)
    if normal is None:
        errors.append(
            row.error("unit_code", f"mã «{unit_code}» không phải mã đơn vị hành chính (2 hoặc 5 chữ số)")
        )
        return None, None
    if year is None:
        return None, None
    level, code = normal
    structure = row.get("structure").lower()
    if structure and structure not in (CURRENT, LEGACY):
        errors.append(row.error("structure", f"«{structure}» không hợp lệ; dùng {CURRENT} hoặc {LEGACY}"))
        return None, None
    unit = selectors.unit_for_year(code, level=level, year=year, structure=structure or None)
    if unit is None:
        errors.append(row.error("unit_code", f"không có đơn vị hành chính mã «{code}» trong năm {year}"))
    return unit, None


def _int(
    row: Row, column: str, errors: list[RowError], *, low: int, high: int, required: bool = True
) -> int | None:
    text = row.get(column)
    if not text:
        if required:
            errors.append(row.error(column, "thiếu giá trị"))
        return None
    try:
        number = int(text)
    except ValueError:
        errors.append(row.error(column, f"«{text}» không phải số nguyên"))
        return None
    if not low <= number <= high:
        errors.append(row.error(column, f"{number} ngoài khoảng {low}–{high}"))
        return None
    return number


def _decimal(
    row: Row,
    column: str,
    errors: list[RowError],
    *,
    required: bool = False,
    low: Decimal | None = Decimal(0),
    high: Decimal | None = Decimal(100),
) -> Decimal | None:
    text = row.get(column).replace("%", "").strip()
    if not text:
        if required:
            errors.append(row.error(column, "thiếu giá trị"))
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # Vietnamese decimal comma: 83,94
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.append(row.error(column, f"«{row.get(column)}» không phải số"))
        return None
    if not number.is_finite() or (low is not None and number < low) or (high is not None and number > high):
        errors.append(row.error(column, f"{text} ngoài khoảng 0–100"))
        return None
    return number.quantize(Decimal("0.001"))


def _upsert(
    *,
    unit: AdminUnit | None,
    agency: Agency | None,
    measure: str,
    year: int,
    period: str,
    values: dict[str, Any],
) -> str:
    existing = PublishedFigure.objects.filter(
        unit=unit, agency=agency, measure=measure, year=year, period=period
    ).first()
    if existing is None:
        PublishedFigure.objects.create(
            unit=unit, agency=agency, measure=measure, year=year, period=period, **values
        )
        return "created"
    compared = {k: v for k, v in values.items() if k != "imported_at"}
    if all(_same(getattr(existing, k), v) for k, v in compared.items()):
        return "unchanged"
    for key, value in values.items():
        setattr(existing, key, value)
    existing.campaign = None  # an imported value is no longer the campaign's computed figure
    existing.save()
    return "updated"


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, Decimal) and new is not None:
        return current == Decimal(new)
    return bool(current == new)


def _backcast(
    parsed: list[_Parsed], *, report: ImportReport, has_weight: bool, stamp: Any, is_demo: bool
) -> None:
    """Figures of merged (legacy) units become estimates for the unit they now form.

    Survey figures cannot be re-aggregated from raw data, so the estimate is the mean of the predecessors'
    values, weighted by the file's `weight` column when it has one. It is made only when the file holds a
    value for every unit that merged, and never replaces a figure published for the new unit itself.
    """
    legacy = [p for p in parsed if p.unit is not None and p.unit.valid_to is not None]
    if not legacy:
        return
    links = UnitLineage.objects.filter(
        predecessor__in=[p.unit for p in legacy], is_primary=True, successor__valid_to__isnull=True
    ).select_related("successor")
    successor_of: dict[int, AdminUnit] = {}
    for link in links:
        successor_of[link.predecessor_id] = link.successor
    groups: dict[tuple[int, str, int, str], list[_Parsed]] = defaultdict(list)
    for item in legacy:
        assert item.unit is not None
        successor = successor_of.get(item.unit.pk)
        if successor is not None:
            groups[(successor.pk, item.measure, item.year, item.period)].append(item)
    if not groups:
        return
    successors = {u.pk: u for u in AdminUnit.objects.filter(pk__in={k[0] for k in groups})}
    primaries: dict[int, dict[int, AdminUnit]] = defaultdict(dict)
    any_count: dict[int, int] = defaultdict(int)
    for link in UnitLineage.objects.filter(successor__in=list(successors.values())).select_related(
        "predecessor"
    ):
        any_count[link.successor_id] += 1
        if link.is_primary:
            primaries[link.successor_id][link.predecessor_id] = link.predecessor
    for (successor_pk, measure, year, period), items in sorted(groups.items(), key=lambda kv: kv[0]):
        successor = successors[successor_pk]
        needed = primaries[successor_pk]
        have = {i.unit.pk for i in items if i.unit is not None}
        missing = [u.name for pk, u in needed.items() if pk not in have]
        if missing:
            report.warnings.append(
                f"{successor.name}, {measure} {year}{period}: thiếu số liệu của {', '.join(sorted(missing))}; chưa ước tính"
            )
            continue
        direct = PublishedFigure.objects.filter(
            unit=successor, agency=None, measure=measure, year=year, period=period, is_estimate=False
        ).first()
        if direct is not None:
            continue
        items = sorted(items, key=lambda i: i.unit.code if i.unit else "")
        values = [i.values["value"] for i in items]
        weights = [i.weight or Decimal(0) for i in items] if has_weight else None
        if weights is not None and any(w <= 0 for w in weights):
            report.warnings.append(
                f"{successor.name}, {measure} {year}{period}: thiếu trọng số; chưa ước tính"
            )
            continue
        estimate = ranking.weighted_mean(values, weights)
        merged = len(items) > 1 or any_count[successor_pk] > 1
        parts = "; ".join(
            f"{i.unit.name if i.unit else '?'} {i.values['value']:.2f}".replace(".", ",") for i in items
        )
        how = "bình quân gia quyền theo trọng số" if weights else "bình quân"
        ns = [i.values["n"] for i in items]
        components = _mean_components(items, weights)
        _upsert(
            unit=successor,
            agency=None,
            measure=measure,
            year=year,
            period=period,
            values={
                "value": estimate,
                "ci_low": None if merged else items[0].values["ci_low"],
                "ci_high": None if merged else items[0].values["ci_high"],
                "n": sum(ns) if all(v is not None for v in ns) else None,
                "components": components,
                "source": f"ước tính từ {report.file}" if merged else items[0].values["source"],
                "is_estimate": merged,
                "estimate_note": f"Ước tính ({how}) từ đơn vị trước sáp nhập: {parts}" if merged else "",
                "is_demo": is_demo,
                "imported_at": stamp,
            },
        )
        report.estimates += 1


def _mean_components(items: list[_Parsed], weights: list[Decimal] | None) -> dict[str, float]:
    names = set.intersection(*(set(i.values["components"]) for i in items)) if items else set()
    result = {}
    for name in sorted(names):
        values = [Decimal(str(i.values["components"][name])) for i in items]
        result[name] = float(ranking.weighted_mean(values, weights))
    return result


def set_target(
    *,
    measure: str,
    threshold: Decimal,
    target_year: int,
    label: str,
    effective_from: date,
    unit: AdminUnit | None = None,
    source: str = "",
    actor: Any = None,
) -> Target:
    """Adopt a target from a date; the version it replaces stops being in force that day."""
    if measures.parse(measure) is None:
        raise ValueError(f"chỉ số «{measure}» không hợp lệ; dùng một trong: {measures.accepted()}")
    if not Decimal(0) <= Decimal(threshold) <= Decimal(100):
        raise ValueError("ngưỡng phải trong khoảng 0–100")
    previous = list(
        Target.objects.filter(
            measure=measure, target_year=target_year, unit=unit, effective_to__isnull=True
        ).filter(effective_from__lt=effective_from)
    )
    for old in previous:
        old.effective_to = effective_from
        old.save(update_fields=["effective_to"])
    target, _ = Target.objects.update_or_create(
        measure=measure,
        target_year=target_year,
        unit=unit,
        effective_from=effective_from,
        defaults={"threshold": threshold, "label": label, "source": source, "effective_to": None},
    )
    record_change(
        actor=actor,
        action="publication.set_target",
        obj=target,
        summary=f"Mục tiêu {label}: {measure} ≥ {threshold} năm {target_year}, hiệu lực từ {effective_from:%d/%m/%Y}",
        data={
            "measure": measure,
            "threshold": str(threshold),
            "target_year": target_year,
            "effective_from": effective_from.isoformat(),
            "unit": unit.code if unit else None,
            "replaced": [t.pk for t in previous],
        },
    )
    return target


@dataclass
class SnapshotReport:
    taken_on: date
    snapshots: int = 0
    rows: int = 0
    moved: int = 0


def take_snapshot(*, on: date, actor: Any = None, now: Any = None) -> SnapshotReport:
    """Store today's published rankings (one per measure and comparison group) with rank changes."""
    min_n = int(str(settings.THUOCDO["ANONYMITY_MIN_CELL"]))
    stamp = now or timezone.now()
    report = SnapshotReport(taken_on=on)
    Snapshot.objects.filter(taken_on=on).delete()  # re-running the same day replaces that day's snapshot
    for group in selectors.ranking_groups():
        previous_snapshot = (
            Snapshot.objects.filter(measure=group.measure, group=group.key, taken_on__lt=on)
            .order_by("-taken_on")
            .first()
        )
        previous: dict[str, int] = {}
        if previous_snapshot is not None:
            previous = {r.code: r.rank for r in previous_snapshot.rows.all() if r.rank is not None}
        entries = [ranking.Entry(row.code, row.value, row.n) for row in group.rows]
        by_code = {row.code: row for row in group.rows}
        ranked = ranking.rank(entries, min_n=min_n, previous=previous)
        snapshot = Snapshot.objects.create(
            taken_on=on,
            measure=group.measure,
            year=group.year,
            period=group.period,
            group=group.key,
            created_at=stamp,
        )
        SnapshotRow.objects.bulk_create(
            SnapshotRow(
                snapshot=snapshot,
                code=r.key,
                name=by_code[r.key].name,
                value=by_code[r.key].value,
                n=r.n,
                is_estimate=by_code[r.key].is_estimate,
                rank=r.rank,
                previous_rank=r.previous_rank,
            )
            for r in ranked
        )
        report.snapshots += 1
        report.rows += len(ranked)
        report.moved += sum(1 for r in ranked if r.change)
    record_change(
        actor=actor,
        action="publication.snapshot",
        object_type="publication.snapshot",
        summary=f"Ảnh chụp xếp hạng ngày {on:%d/%m/%Y}: {report.snapshots} bảng, {report.rows} dòng, {report.moved} thay đổi hạng",
        data={"taken_on": on.isoformat(), "snapshots": report.snapshots, "rows": report.rows},
    )
    return report


# --- survey campaign results ------------------------------------------------------------------------------


class PublishError(ValueError):
    """The campaign's results cannot be published; the message says why in Vietnamese."""


@dataclass
class PublishReport:
    campaign: str
    year: int
    figures: int = 0
    withheld_small: int = 0
    withheld_complementary: int = 0
    replaced: int = 0
    subjects: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the operator and the audit log."""
        return (
            f"Công bố kết quả đợt «{self.campaign}» năm {self.year}: {self.figures} số liệu "
            f"({self.subjects.get('unit', 0)} đơn vị hành chính, {self.subjects.get('agency', 0)} cơ quan, "
            f"{self.subjects.get('block', 0)} khối); {self.withheld_small} ô ẩn vì dưới ngưỡng, "
            f"{self.withheld_complementary} ô ẩn bổ sung; thay {self.replaced} số liệu đã nhập trước"
        )


def _measure_of(cell: survey_results.Cell) -> str:
    prefix = {
        "overall": "sipas",
        "aspect": "sipas_aspect",
        "factor": "sipas_factor",
        "item": "sipas_criterion",
    }
    return prefix[cell.level] if cell.level == "overall" else f"{prefix[cell.level]}:{cell.code}"


def _code(domain: survey_results.Domain) -> str:
    return domain.code


def _decimal3(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 3))).quantize(Decimal("0.001"))


def publish_campaign_results(
    *,
    campaign: Any,
    actor: Any,
    now: Any,
    min_n: int | None = None,
    year: int | None = None,
    is_demo: bool = False,
) -> PublishReport:
    """Publish a closed campaign's design-based estimates (scope, communes, agencies, blocks), small cells withheld.

    Publishing again replaces the campaign's figures. An imported figure for the same unit, measure and year
    is replaced (its old value is kept in the audit entry); another campaign's figure is never overwritten.
    """
    from thuocdo.surveys.models import Campaign

    k = int(str(settings.THUOCDO["ANONYMITY_MIN_CELL"])) if min_n is None else int(min_n)
    if campaign.status != Campaign.Status.CLOSED:
        raise PublishError("Chỉ công bố kết quả khi đợt khảo sát đã kết thúc.")
    instrument = campaign.instrument.instrument
    if instrument.aggregation.unit != "percent":
        raise PublishError(
            f"Phiếu {instrument.key} cho kết quả theo điểm, không phải tỷ lệ hài lòng; chưa công bố được."
        )
    try:
        results = survey_results.campaign_results(campaign, min_n=k)
    except survey_results.ResultsError as exc:
        raise PublishError(str(exc)) from exc
    if results.province is None:
        raise PublishError(
            "Không xác định được tỉnh, thành phố của đợt khảo sát (các cơ quan được đánh giá phải cùng một tỉnh)."
        )
    year = year or campaign.starts_on.year
    report = PublishReport(campaign=campaign.name, year=year)
    source = (
        f"Khảo sát «{campaign.name}» (phiếu {instrument.key}); ước lượng theo thiết kế mẫu, "
        f"sai số tuyến tính hóa Taylor, khoảng tin cậy 95%; ô dưới {k} phiếu không công bố"
    )[:500]
    computed = results.computed
    subjects: list[tuple[str, Any, survey_results.Domain]] = [
        ("unit", results.province, results.scope),
        *(("unit", results.communes[d.code], d) for d in sorted(computed.communes.values(), key=_code)),
        *(("agency", results.agencies[d.code], d) for d in sorted(computed.agencies.values(), key=_code)),
        *(("block", results.blocks[d.code], d) for d in sorted(computed.blocks.values(), key=_code)),
    ]

    figures: list[PublishedFigure] = []
    for kind, subject, domain in subjects:
        report.subjects[kind] = report.subjects.get(kind, 0) + 1
        for cell in domain.cells:
            if cell.suppression == "empty" and cell.level != "overall":
                continue  # nobody was asked (e.g. feedback criteria where no one gave feedback)
            components: dict[str, Any] = {"label": cell.title_vi, "campaign": campaign.slug}
            if cell.level == "item":
                components["factor"] = cell.parent
            if cell.shown:
                components["se"] = round(cell.se or 0.0, 4)
            else:
                components["suppressed"] = cell.suppression
                if cell.suppression == "complementary":
                    report.withheld_complementary += 1
                else:
                    report.withheld_small += 1
            figures.append(
                PublishedFigure(
                    unit=subject if kind == "unit" else None,
                    agency=subject if kind == "agency" else None,
                    block=subject if kind == "block" else None,
                    measure=_measure_of(cell),
                    year=year,
                    period="",
                    value=_decimal3(cell.estimate),
                    ci_low=_decimal3(cell.ci_low),
                    ci_high=_decimal3(cell.ci_high),
                    n=cell.n,
                    components=components,
                    is_estimate=False,
                    is_demo=is_demo,
                    source=source,
                    imported_at=now,
                    campaign=campaign,
                )
            )
    # Every check comes before the first write: the caller may catch PublishError and still commit.
    replaced: list[dict[str, Any]] = []
    clash_ids: list[int] = []
    for kind in ("unit", "agency", "block"):
        mine = [f for f in figures if getattr(f, f"{kind}_id") is not None]
        if not mine:
            continue
        keys = {(getattr(f, f"{kind}_id"), f.measure) for f in mine}
        candidates = (
            PublishedFigure.objects.filter(
                **{f"{kind}_id__in": {k[0] for k in keys}},
                year=year,
                period="",
                measure__in={k[1] for k in keys},
            )
            .exclude(campaign=campaign)
            .select_related("campaign")
        )
        clashes = [f for f in candidates if (getattr(f, f"{kind}_id"), f.measure) in keys]
        other = next((f for f in clashes if f.campaign_id is not None), None)
        if other is not None:
            raise PublishError(
                f"Năm {year} đã có kết quả của đợt «{other.campaign}» cho cùng đơn vị; "
                "hãy gỡ kết quả đó hoặc công bố cho năm khác."
            )
        for f in clashes:
            clash_ids.append(f.pk)
            replaced.append(
                {
                    "kind": kind,
                    "id": getattr(f, f"{kind}_id"),
                    "measure": f.measure,
                    "value": None if f.value is None else str(f.value),
                    "source": f.source,
                }
            )
    PublishedFigure.objects.filter(campaign=campaign).delete()
    PublishedFigure.objects.filter(pk__in=clash_ids).delete()
    PublishedFigure.objects.bulk_create(figures)
    report.figures = len(figures)
    report.replaced = len(replaced)
    record_change(
        actor=actor,
        action="publication.publish_campaign",
        obj=campaign,
        summary=report.summary(),
        data={
            "campaign": campaign.slug,
            "year": year,
            "min_n": k,
            "responses": results.responses,
            "excluded_by_flags": results.excluded,
            "figures": report.figures,
            "withheld_small": report.withheld_small,
            "withheld_complementary": report.withheld_complementary,
            "subjects": report.subjects,
            "replaced": replaced[:200],
            "overall": None
            if results.scope.overall.estimate is None
            else round(results.scope.overall.estimate, 3),
        },
    )
    return report


# --- the 766 index, month by month ---------------------------------------------------------------------------


@dataclass
class Index766Report:
    month: str
    subjects: dict[str, int] = field(default_factory=dict)
    figures: int = 0
    without_dossiers: int = 0
    late_units: int = 0
    late_officials: int = 0
    replaced_month: bool = False
    replaced_imported: int = 0

    def summary(self) -> str:
        """One line for the operator and the audit log."""
        again = " (thay lần công bố trước)" if self.replaced_month else ""
        return (
            f"Công bố chỉ số 766 tháng {self.month}{again}: {self.subjects.get('province', 0)} tỉnh, "
            f"{self.subjects.get('agency', 0)} cơ quan, {self.subjects.get('commune', 0)} xã, phường "
            f"({self.figures} số liệu; {self.without_dossiers} đơn vị không có hồ sơ trong tháng); "
            f"{self.late_units} đơn vị và {self.late_officials} cán bộ để xảy ra trễ hạn"
        )


def publish_index766_month(*, month: str, actor: Any, now: Any, is_demo: bool = False) -> Index766Report:
    """Compute and publish one month of the 766 index with its late lists; publishing again replaces the month.

    Everything is computed and checked before the first write, so an error leaves the published month as it
    was. An imported figure for the same subject and month is replaced (its value kept in the audit entry).
    """
    from thuocdo.publication import index766
    from thuocdo.publication.models import Index766Month, LateOfficialEntry, LateUnitEntry

    try:
        period = index766.month_period(month)
    except index766.MonthError as exc:
        raise PublishError(str(exc)) from exc
    label = index766.month_label(period.start.year, period.start.month)
    if period.end_at > now:
        raise PublishError(f"Tháng {label} chưa kết thúc; chỉ công bố tháng đã qua.")
    computed = index766.compute_month(period, as_of=now)
    if not computed.results:
        raise PublishError(f"Tháng {label} không có hồ sơ nào để tính chỉ số 766.")
    report = Index766Report(month=label, without_dossiers=computed.without_dossiers)
    existing = Index766Month.objects.filter(year=period.start.year, month=period.start.month).first()
    draft = Index766Month(
        year=period.start.year,
        month=period.start.month,
        published_at=now,
        published_by=str(actor or "")[:150],
        judged_at=computed.judged_at,
        ruleset=computed.ruleset[:200],
        is_demo=is_demo,
    )
    source = (
        f"Tính từ dữ liệu hồ sơ đồng bộ theo {computed.ruleset}, đánh giá tại "
        f"{timezone.localtime(computed.judged_at):%d/%m/%Y %H:%M}; công bố {timezone.localtime(now):%d/%m/%Y}"
    )[:500]
    figures = []
    for subject, view in computed.results:
        report.subjects[subject.kind] = report.subjects.get(subject.kind, 0) + 1
        figures += index766.figures_for(subject, view, index_month=draft, source=source, now=now)
    clashes = list(
        PublishedFigure.objects.filter(
            year=draft.year, period=draft.period, index_month__isnull=True, campaign__isnull=True
        )
        .filter(measure__startswith="index766")
        .filter(
            Q(unit__in={f.unit_id for f in figures if f.unit_id})
            | Q(agency__in={f.agency_id for f in figures if f.agency_id})
        )
    )
    keys = {(f.unit_id, f.agency_id, f.measure) for f in figures}
    clashes = [c for c in clashes if (c.unit_id, c.agency_id, c.measure) in keys]
    # Writes start here: the caller's transaction makes the replacement atomic.
    if existing is not None:
        report.replaced_month = True
        existing.delete()  # its figures and late lists go with it (CASCADE)
    PublishedFigure.objects.filter(pk__in=[c.pk for c in clashes]).delete()
    draft.save()
    for f in figures:
        f.index_month = draft
    PublishedFigure.objects.bulk_create(figures, batch_size=2000)
    LateUnitEntry.objects.bulk_create(
        LateUnitEntry(
            index_month=draft,
            province=r.province,
            agency=r.agency,
            agency_code=r.code[:60],
            agency_name=r.name[:255],
            late=r.late,
            counted=r.counted,
        )
        for r in computed.late_units
    )
    LateOfficialEntry.objects.bulk_create(
        LateOfficialEntry(
            index_month=draft,
            province=r.province,
            agency=r.agency,
            agency_code=r.code[:60],
            agency_name=r.name[:255],
            officer=r.officer[:150],
            department=r.department[:200],
            late_steps=r.late_steps,
        )
        for r in computed.late_officials
    )
    report.figures = len(figures)
    report.late_units = len(computed.late_units)
    report.late_officials = len(computed.late_officials)
    report.replaced_imported = len(clashes)
    record_change(
        actor=actor,
        action="publication.publish_index766",
        obj=draft,
        summary=report.summary(),
        data={
            "month": draft.key,
            "judged_at": computed.judged_at.isoformat(),
            "ruleset": computed.ruleset,
            "subjects": report.subjects,
            "figures": report.figures,
            "without_dossiers": report.without_dossiers,
            "late_units": report.late_units,
            "late_officials": report.late_officials,
            "replaced_month": report.replaced_month,
            "previous": None
            if existing is None
            else {"published_at": existing.published_at.isoformat(), "published_by": existing.published_by},
            "replaced_imported": [
                {"unit": c.unit_id, "agency": c.agency_id, "measure": c.measure, "value": str(c.value)}
                for c in clashes[:200]
            ],
        },
    )
    return report
