"""The 766 index on the public portal: computing a month for publication, and reading what was published.

Computing goes through `indices.selectors.index_for` (the same numbers the officials' pages show), over
scopes built here once per run: the province, its agencies that belong to a comparison block, its communes,
and every province with dossiers (the national ranking). Dossiers of units merged in 2025 are counted under
today's units (indices.selectors.agency_code_map), so months before the merger are re-aggregated, not
averaged. Public pages only read PublishedFigure rows and the stored late lists: no request computes over
dossiers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import get_language

from thuocdo.core.index766 import Period, parse_period
from thuocdo.indices import selectors as index_selectors
from thuocdo.indices.selectors import IndexView, Scope
from thuocdo.publication import ranking
from thuocdo.publication.models import (
    Index766Month,
    LateOfficialEntry,
    LateUnitEntry,
    PublishedFigure,
)
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock
from thuocdo.units.sources import COMMUNE, CURRENT, PROVINCE

TOTAL = "index766"
GROUP = "index766_group"
INDICATOR = "index766_indicator"
PROVINCES = "province"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A month that cannot be published or shown; the message says why in Vietnamese."""


def month_period(text: str) -> Period:
    """A month as written in URLs and on the command line ("2025-10")."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise MonthError(f"tháng «{text}» không hợp lệ; ghi theo dạng YYYY-MM, ví dụ 2025-10")
    return parse_period(match.group(0))


def month_label(year: int, month: int) -> str:
    """10/2025."""
    return f"{month:02d}/{year}"


# ----------------------------------------------------------------------------------------------
# Computing a month


@dataclass(frozen=True)
class Subject:
    kind: str  # "province", "agency" or "commune"
    scope: Scope
    unit: AdminUnit | None = None
    agency: Agency | None = None


@dataclass(frozen=True)
class LateUnitRow:
    province: AdminUnit
    agency: Agency | None
    code: str
    name: str
    late: int
    counted: int


@dataclass(frozen=True)
class LateOfficialRow:
    province: AdminUnit
    agency: Agency | None
    code: str
    name: str
    officer: str
    department: str
    late_steps: int


@dataclass
class MonthComputation:
    period: Period
    judged_at: datetime
    ruleset: str = ""
    results: list[tuple[Subject, IndexView]] = field(default_factory=list)
    without_dossiers: int = 0
    late_units: list[LateUnitRow] = field(default_factory=list)
    late_officials: list[LateOfficialRow] = field(default_factory=list)


class _Scopes:
    """Scopes keyed like indices.selectors.resolve_scope, built from one read of the agency code map."""

    def __init__(self) -> None:
        self.target_of = index_selectors.agency_code_map()
        self.codes_of: dict[int, list[str]] = defaultdict(list)
        for code, target in self.target_of.items():
            self.codes_of[target].append(code)
        self.agencies = {a.pk: a for a in Agency.objects.select_related("admin_unit", "block")}

    def make(self, key: str, label: str, agency_ids: Iterable[int]) -> Scope:
        ids = tuple(sorted(set(agency_ids)))
        codes = tuple(sorted(c for i in ids for c in self.codes_of.get(i, ())))
        return Scope(key, label, codes, agency_ids=ids)

    def of_unit(self, kind: str, unit: AdminUnit) -> Scope:
        ids = [
            a.pk for a in self.agencies.values() if a.admin_unit and a.admin_unit.path.startswith(unit.path)
        ]
        return self.make(f"{kind}:{unit.code}", unit.name, ids)

    def of_agency(self, agency: Agency) -> Scope:
        ids = [a.pk for a in self.agencies.values() if a.path.startswith(agency.path)]
        return self.make(f"agency:{agency.code}", agency.name, ids)


def _has_dossiers(view: IndexView) -> bool:
    tally = view.tallies.get("2.1")
    return bool(tally and tally.denominator)


def dossier_count(view: IndexView) -> int:
    """Dossiers counted for timeliness (2.1) in the month."""
    tally = view.tallies.get("2.1")
    return tally.denominator if tally else 0


def _provinces_with_dossiers(scopes: _Scopes, period: Period) -> list[AdminUnit]:
    """Today's provinces whose agencies have dossier cells in the year up to the month (candidates only)."""
    from thuocdo.indices.models import CellMonth

    first = date(period.start.year - 1, period.start.month, 1)
    codes = set(
        CellMonth.objects.filter(month__gte=first, month__lt=period.end)
        .values_list("agency_code", flat=True)
        .distinct()
    )
    paths = set()
    for code in codes:
        agency = scopes.agencies.get(scopes.target_of.get(code, -1))
        if agency is not None and agency.admin_unit is not None:
            paths.add(agency.admin_unit.path)
    provinces = AdminUnit.objects.filter(structure=CURRENT, level=PROVINCE).order_by("code")
    return [p for p in provinces if any(path.startswith(p.path) for path in paths)]


def compute_month(period: Period, *, as_of: datetime) -> MonthComputation:
    """The index of every province with dossiers, its block agencies and communes, and its late lists."""
    scopes = _Scopes()
    out = MonthComputation(period=period, judged_at=min(period.end_at, as_of))
    for province in _provinces_with_dossiers(scopes, period):
        scope = scopes.of_unit(PROVINCE, province)
        view = index_selectors.index_for(scope, period, as_of)
        if not _has_dossiers(view):
            continue
        out.ruleset = view.ruleset_name
        out.results.append((Subject(PROVINCE, scope, unit=province), view))
        subjects = [
            Subject("agency", scopes.of_agency(a), agency=a)
            for a in sorted(scopes.agencies.values(), key=lambda a: a.path)
            if a.valid_to is None
            and a.block_id is not None
            and a.kind != "commune_committee"  # published as its commune
            and a.admin_unit is not None
            and a.admin_unit.path.startswith(province.path)
        ]
        communes = AdminUnit.objects.filter(structure=CURRENT, level=COMMUNE, parent=province).order_by(
            "code"
        )
        subjects += [Subject(COMMUNE, scopes.of_unit(COMMUNE, c), unit=c) for c in communes]
        views = index_selectors.index_for_many([s.scope for s in subjects], period, as_of)
        for subject in subjects:
            child = views[subject.scope]
            if _has_dossiers(child):
                out.results.append((subject, child))
            else:
                out.without_dossiers += 1
        _late_lists(out, scopes, scope, province, period, as_of)
    return out


def _late_lists(
    out: MonthComputation, scopes: _Scopes, scope: Scope, province: AdminUnit, period: Period, as_of: datetime
) -> None:
    """Late agencies and officials of a province, each under the agency that carries its code today."""
    units: dict[int | str, list[int]] = defaultdict(lambda: [0, 0])
    for row in index_selectors.late_units(scope, period, as_of):
        key = scopes.target_of.get(row.agency_code, row.agency_code)
        units[key][0] += row.late
        units[key][1] += row.counted
    for key, (late, counted) in units.items():
        agency = scopes.agencies.get(key) if isinstance(key, int) else None
        out.late_units.append(
            LateUnitRow(
                province,
                agency,
                agency.code if agency else str(key),
                agency.name if agency else "",
                late,
                counted,
            )
        )
    officials: dict[tuple[str, str, int | str], int] = defaultdict(int)
    for o in index_selectors.late_officials(scope, period):
        key = scopes.target_of.get(o.agency_code, o.agency_code)
        officials[(o.officer.strip(), o.department.strip(), key)] += o.late_steps
    for (officer, department, key), late_steps in officials.items():
        agency = scopes.agencies.get(key) if isinstance(key, int) else None
        out.late_officials.append(
            LateOfficialRow(
                province,
                agency,
                agency.code if agency else str(key),
                agency.name if agency else "",
                officer,
                department,
                late_steps,
            )
        )


def figures_for(
    subject: Subject, view: IndexView, *, index_month: Index766Month, source: str, now: Any
) -> list[PublishedFigure]:
    """The rows one subject's index becomes: the total (with band), each group, each indicator with a rate."""
    period = index_month.period
    result = view.result
    common: dict[str, Any] = {
        "unit": subject.unit,
        "agency": subject.agency,
        "year": index_month.year,
        "period": period,
        "is_demo": index_month.is_demo,
        "source": source,
        "imported_at": now,
        "index_month": index_month,
    }
    rows = [
        PublishedFigure(
            measure=TOTAL,
            value=result.total,
            components={
                "band": result.band.name_vi,
                "band_en": result.band.name_en,
                "kind": subject.kind,
                "dossiers": dossier_count(view),
                "ruleset": view.ruleset_name,
                "groups": {g.id: str(g.points) for g in result.groups.values()},
            },
            **common,
        )
    ]
    rows.extend(
        PublishedFigure(
            measure=f"{GROUP}:{group.id}",
            value=group.points,
            components={
                "label": group.name_vi,
                "label_en": group.name_en,
                "max_points": str(group.max_points),
                "not_applicable": group.not_applicable,
            },
            **common,
        )
        for group in result.groups.values()
    )
    for ind in result.indicators.values():
        if ind.rate is None:
            continue  # nothing to measure this month; the group says how it was scored
        rows.append(
            PublishedFigure(
                measure=f"{INDICATOR}:{ind.id}",
                value=ind.rate,
                components={
                    "label": ind.name_vi,
                    "label_en": ind.name_en,
                    "group": ind.group,
                    "numerator": ind.numerator,
                    "denominator": ind.denominator,
                    "points": str(ind.points),
                    "max_points": str(ind.max_points),
                },
                **common,
            )
        )
    return rows


# ----------------------------------------------------------------------------------------------
# Reading what was published


def label_in_language(components: Mapping[str, Any]) -> str:
    """A published figure's label in the page's language: `label_en` on English pages when it was stored.

    Figures published before English names were stored carry only `label`; they keep showing it.
    """
    english = (get_language() or "").startswith("en")
    return str((english and components.get("label_en")) or components.get("label", ""))


def published_months() -> list[Index766Month]:
    """Published months, newest first."""
    return list(Index766Month.objects.order_by("-year", "-month"))


def find_month(key: str, months: list[Index766Month]) -> Index766Month | None:
    """The published month named "2025-10" (the newest when key is empty); None if it was not published."""
    if not key:
        return months[0] if months else None
    return next((m for m in months if m.key == key), None)


def previous_month(month: Index766Month, months: list[Index766Month]) -> Index766Month | None:
    """The published month before `month` (not necessarily the calendar month before)."""
    older = [m for m in months if (m.year, m.month) < (month.year, month.month)]
    return older[0] if older else None


@dataclass(frozen=True)
class GroupPoints:
    id: str
    label: str
    points: Decimal | None
    max_points: Decimal | None

    @property
    def text(self) -> str:
        """18,00 (the tables print many of these: formatting once here is cheaper than a filter per cell)."""
        return _vn(self.points, 2)

    @property
    def short(self) -> str:
        """18,0 for the phone line."""
        return _vn(self.points, 1)


def _vn(value: Decimal | None, places: int) -> str:
    return "—" if value is None else f"{value:.{places}f}".replace(".", ",")


@dataclass
class RankRow:
    kind: str
    code: str
    name: str
    total: Decimal
    band: str
    dossiers: int
    groups: list[GroupPoints]
    group_key: str
    block: ComparisonBlock | None = None
    province_code: str = ""
    rank: int | None = None
    previous_rank: int | None = None
    is_demo: bool = False

    @property
    def change(self) -> int | None:
        """Places gained since the previous published month (positive = moved up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def lost(self) -> int:
        """Places lost (a positive number), for "▼2"."""
        return -(self.change or 0)

    @property
    def total_text(self) -> str:
        return _vn(self.total, 2)


_FIELDS = (
    "measure",
    "value",
    "components",
    "is_demo",
    "unit_id",
    "agency_id",
    "unit__code",
    "unit__name",
    "unit__level",
    "unit__parent__code",
    "agency__code",
    "agency__name",
    "agency__block_id",
)


def _month_figures(
    month: Index766Month, extra: Q | None = None, *, totals_only: bool = False
) -> list[dict[str, Any]]:
    """The month's totals and group points as plain rows (model instances cost more than the page itself)."""
    measures = Q(measure=TOTAL) if totals_only else Q(measure=TOTAL) | Q(measure__startswith=GROUP + ":")
    figures = PublishedFigure.objects.filter(index_month=month).filter(measures)
    if extra is not None:
        figures = figures.filter(extra)
    return list(figures.order_by("pk").values(*_FIELDS))


def _subject_key(f: dict[str, Any]) -> str:
    return f"u:{f['unit_id']}" if f["unit_id"] else f"a:{f['agency_id']}"


def _group_key(f: dict[str, Any], blocks: dict[int, ComparisonBlock]) -> str:
    if f["agency_id"]:
        block = blocks.get(f["agency__block_id"])
        return f"block:{block.code}" if block else "block:"
    if f["unit__level"] == COMMUNE:
        return f"commune:{f['unit__parent__code'] or ''}"
    return PROVINCES


def _rows(figures: list[dict[str, Any]]) -> dict[str, RankRow]:
    blocks = {b.pk: b for b in ComparisonBlock.objects.all()}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in figures:
        if f["measure"] != TOTAL:
            groups[_subject_key(f)].append(f)
    rows: dict[str, RankRow] = {}
    for f in figures:
        if f["measure"] != TOTAL or f["value"] is None:
            continue
        components = f["components"] if isinstance(f["components"], dict) else {}
        is_unit = bool(f["unit_id"])
        province_code = ""
        if is_unit:
            province_code = f["unit__parent__code"] or "" if f["unit__level"] == COMMUNE else f["unit__code"]
        rows[_subject_key(f)] = RankRow(
            kind=str(components.get("kind", "")),
            code=f["unit__code"] if is_unit else f["agency__code"],
            name=f["unit__name"] if is_unit else f["agency__name"],
            total=f["value"],
            band=str(components.get("band", "")),
            dossiers=int(components.get("dossiers", 0) or 0),
            groups=[
                GroupPoints(
                    g["measure"].partition(":")[2],
                    label_in_language(g["components"]),
                    g["value"],
                    Decimal(str(g["components"]["max_points"])) if "max_points" in g["components"] else None,
                )
                for g in groups[_subject_key(f)]
            ],
            group_key=_group_key(f, blocks),
            block=None if is_unit else blocks.get(f["agency__block_id"]),
            province_code=province_code,
            is_demo=f["is_demo"],
        )
    return rows


def _rank(rows: list[RankRow], previous: dict[str, int]) -> list[RankRow]:
    by_key = {r.code: r for r in rows}
    ranked = ranking.rank([ranking.Entry(r.code, r.total) for r in rows], min_n=0, previous=previous)
    out = []
    for r in ranked:
        row = by_key[r.key]
        row.rank, row.previous_rank = r.rank, r.previous_rank
        out.append(row)
    return out


def _previous_ranks(previous: Index766Month | None, extra: Q | None) -> dict[str, dict[str, int]]:
    """Ranks in the previous published month, per comparison group (today's groups)."""
    if previous is None:
        return {}
    grouped: dict[str, list[RankRow]] = defaultdict(list)
    for row in _rows(_month_figures(previous, extra, totals_only=True)).values():
        grouped[row.group_key].append(row)
    return {
        key: {r.code: r.rank for r in _rank(rows, {}) if r.rank is not None} for key, rows in grouped.items()
    }


@dataclass
class Rankings:
    month: Index766Month
    previous: Index766Month | None
    provinces: list[RankRow]
    blocks: list[tuple[ComparisonBlock, list[RankRow]]]
    communes: list[RankRow]
    province: AdminUnit | None
    group_labels: list[tuple[str, str]]  # (group id, name) in rule-set order


def rankings(month: Index766Month, months: list[Index766Month], province: AdminUnit | None) -> Rankings:
    """Provinces; the province's agencies within each comparison block; its communes — with rank changes."""
    extra = None
    if province is not None:
        extra = (
            Q(unit__level=PROVINCE)
            | Q(unit__parent=province)
            | Q(agency__admin_unit__path__startswith=province.path)
        )
    previous = previous_month(month, months)
    before = _previous_ranks(previous, extra)
    grouped: dict[str, list[RankRow]] = defaultdict(list)
    rows = _rows(_month_figures(month, extra))
    for row in rows.values():
        grouped[row.group_key].append(row)
    ranked = {key: _rank(items, before.get(key, {})) for key, items in grouped.items()}
    blocks = [
        (b, ranked[f"block:{b.code}"]) for b in ComparisonBlock.objects.all() if f"block:{b.code}" in ranked
    ]
    labels: dict[str, str] = {}
    for row in rows.values():
        for g in row.groups:
            labels.setdefault(g.id, g.label)
    return Rankings(
        month=month,
        previous=previous,
        provinces=ranked.get(PROVINCES, []),
        blocks=blocks,
        communes=ranked.get(f"commune:{province.code}", []) if province is not None else [],
        province=province,
        group_labels=list(labels.items()),
    )


def home_province(month: Index766Month | None) -> AdminUnit | None:
    """The province a 766 page is about by default: the settings' province, else the first one published."""
    from thuocdo.publication import selectors

    code = settings.THUOCDO.get("PROVINCE_CODE")
    if code:
        return selectors.current_unit(str(code))
    if month is None:
        return None
    figure = (
        PublishedFigure.objects.filter(index_month=month, measure=TOTAL, unit__level=PROVINCE)
        .select_related("unit")
        .order_by("-value", "unit__code")
        .first()
    )
    return figure.unit if figure else None


@dataclass
class SubjectIndex:
    """The 766 section of a unit's or agency's public page."""

    month: Index766Month
    row: RankRow
    peers: int
    trend: list[tuple[Index766Month, Decimal]]
    indicators: list[PublishedFigure]


def subject_index(*, unit: AdminUnit | None = None, agency: Agency | None = None) -> SubjectIndex | None:
    """The latest published month of one unit or agency, its rank in its group, and its last 12 months."""
    own = PublishedFigure.objects.filter(measure=TOTAL, index_month__isnull=False, value__isnull=False)
    own = own.filter(unit=unit) if unit is not None else own.filter(agency=agency)
    series = list(own.select_related("index_month").order_by("-year", "-period")[:12])
    if not series:
        return None
    latest = series[0]
    month = latest.index_month
    assert month is not None
    peers_q = Q(pk__in=[])
    if agency is not None:
        peers_q = Q(agency__block=agency.block) if agency.block_id else Q(agency=agency)
    elif unit is not None and unit.level == COMMUNE:
        peers_q = Q(unit__parent=unit.parent_id, unit__level=COMMUNE)
    elif unit is not None:
        peers_q = Q(unit__level=PROVINCE)
    rows = _rows(_month_figures(month, peers_q))
    ranked = _rank(list(rows.values()), {})
    key = f"u:{unit.pk}" if unit is not None else f"a:{agency.pk if agency else ''}"
    row = rows.get(key)
    if row is None:
        return None
    indicators = list(
        PublishedFigure.objects.filter(
            index_month=month, measure__startswith=INDICATOR + ":", unit=unit, agency=agency
        ).order_by("pk")
    )
    return SubjectIndex(
        month=month,
        row=row,
        peers=len(ranked),
        trend=[(f.index_month, f.value) for f in reversed(series) if f.index_month and f.value is not None],
        indicators=indicators,
    )


@dataclass
class LateLists:
    month: Index766Month
    units: list[dict[str, Any]]
    officials: list[dict[str, Any]]


_UNIT_FIELDS = ("province__code", "agency_id", "agency_code", "agency_name", "late", "counted")
_OFFICIAL_FIELDS = ("province__code", "agency_code", "agency_name", "officer", "department", "late_steps")


def late_lists(month: Index766Month, province: AdminUnit | None) -> LateLists:
    """The published late units and officials of a month (of one province when given), as plain rows."""
    units = LateUnitEntry.objects.filter(index_month=month)
    officials = LateOfficialEntry.objects.filter(index_month=month)
    if province is not None:
        units, officials = units.filter(province=province), officials.filter(province=province)
    return LateLists(
        month,
        list(units.order_by("-late", "agency_code").values(*_UNIT_FIELDS)),
        list(officials.order_by("-late_steps", "officer").values(*_OFFICIAL_FIELDS)),
    )


def published_agencies(query: str, *, limit: int = 30) -> list[Agency]:
    """Agencies with published 766 figures whose name matches, accents or not."""
    from thuocdo.core.text import fold

    folded = fold(query)
    agencies = Agency.objects.filter(published_figures__measure=TOTAL).distinct().order_by("name")
    found = [a for a in agencies if not folded or folded in fold(a.name) or folded == a.code.lower()]
    return found[:limit]
