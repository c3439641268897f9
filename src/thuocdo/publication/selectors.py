"""Reads for the public portal, open data and reports: series by year, tables by unit, rankings, map points."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from thuocdo.core.text import fold
from thuocdo.publication import measures, ranking
from thuocdo.publication.models import PublishedFigure, Snapshot, SnapshotRow, Target
from thuocdo.units.models import AdminUnit, Agency, UnitLineage
from thuocdo.units.sources import COMMUNE, CURRENT, PROVINCE, REORGANISED_ON

RANKED_MEASURES = ("sipas", "index766", "par_index")


def min_answers() -> int:
    """Figures resting on fewer answers than this are shown but not ranked (the anonymity threshold)."""
    return int(str(settings.THUOCDO["ANONYMITY_MIN_CELL"]))


def unit_for_year(code: str, *, level: str, year: int, structure: str | None = None) -> AdminUnit | None:
    """The unit a figure for `year` refers to: the one in force at the end of that year (else at its start)."""
    units = AdminUnit.objects.filter(code=code, level=level)
    if structure:
        return units.filter(structure=structure).first()
    for on in (date(year, 12, 31), date(year, 1, 1)):
        unit = (
            units.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
            .first()
        )
        if unit is not None:
            return unit
    return None


def current_unit(code: str) -> AdminUnit | None:
    """A unit of today's structure by code (provinces have 2 digits, communes 5)."""
    level = PROVINCE if len(code) <= 2 else COMMUNE
    return (
        AdminUnit.objects.select_related("parent").filter(structure=CURRENT, level=level, code=code).first()
    )


def public_unit(code: str, structure: str = CURRENT) -> AdminUnit | None:
    """The unit a public page is about: today's by default, or a former one (structure «legacy»)."""
    units = AdminUnit.objects.select_related("parent").filter(code=code, structure=structure)
    return units.order_by("level").first()


def home_province() -> AdminUnit | None:
    """The province the portal is about: settings.THUOCDO["PROVINCE_CODE"], else the one with most figures."""
    code = settings.THUOCDO.get("PROVINCE_CODE")
    if code:
        return current_unit(str(code))
    best = (
        PublishedFigure.objects.filter(unit__structure=CURRENT, unit__level=COMMUNE)
        .values("unit__parent")
        .annotate(k=Count("id"))
        .order_by("-k")
        .first()
    )
    if best:
        return AdminUnit.objects.filter(pk=best["unit__parent"]).first()
    figure = (
        PublishedFigure.objects.filter(unit__structure=CURRENT, unit__level=PROVINCE)
        .values("unit")
        .annotate(k=Count("id"))
        .order_by("-k")
        .first()
    )
    return AdminUnit.objects.filter(pk=figure["unit"]).first() if figure else None


@dataclass(frozen=True)
class Point:
    """One figure as a page, chart, table or report shows it."""

    code: str
    name: str
    year: int
    value: Decimal | None  # None: withheld (fewer answers than the anonymity threshold)
    ci_low: Decimal | None
    ci_high: Decimal | None
    n: int | None
    is_estimate: bool
    is_demo: bool
    estimate_note: str
    source: str
    latitude: float | None = None
    longitude: float | None = None
    unit_structure: str = CURRENT
    rank: int | None = None

    label: str = ""  # the component's title for survey figures (factor or criterion name)
    campaign: str = ""  # slug of the survey campaign a computed figure comes from
    suppressed: str = ""  # why a survey figure is withheld ("small", "complementary")

    @property
    def enough_answers(self) -> bool:
        return self.value is not None and ranking.eligible(self.n, min_answers())

    @property
    def number(self) -> Decimal:
        """The value of a figure that is shown (trends and ranked rows never hold a withheld one)."""
        if self.value is None:
            raise ValueError(f"{self.code} {self.year}: giá trị không công bố")
        return self.value

    @property
    def margin(self) -> Decimal | None:
        """Half the interval's width, for "83,9% (±1,2)"."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "year": self.year,
            "value": None if self.value is None else float(self.value),
            "ci_low": None if self.ci_low is None else float(self.ci_low),
            "ci_high": None if self.ci_high is None else float(self.ci_high),
            "n": self.n,
            "estimate": self.is_estimate,
            "enough": self.enough_answers,
            "rank": self.rank,
            "lat": self.latitude,
            "lon": self.longitude,
        }


def _point(figure: PublishedFigure) -> Point:
    who = figure.unit or figure.agency or figure.block
    label = figure.components.get("label") if isinstance(figure.components, dict) else ""
    return Point(
        code=getattr(who, "code", ""),
        name=getattr(who, "name", ""),
        year=figure.year,
        value=figure.value,
        ci_low=figure.ci_low,
        ci_high=figure.ci_high,
        n=figure.n,
        is_estimate=figure.is_estimate,
        is_demo=figure.is_demo,
        estimate_note=figure.estimate_note,
        source=figure.source,
        latitude=getattr(figure.unit, "latitude", None),
        longitude=getattr(figure.unit, "longitude", None),
        unit_structure=getattr(figure.unit, "structure", CURRENT),
        label=str(label or ""),
        campaign=str(figure.components.get("campaign", "")) if isinstance(figure.components, dict) else "",
        suppressed=str(figure.components.get("suppressed", ""))
        if isinstance(figure.components, dict)
        else "",
    )


def series(
    *, unit: AdminUnit | None = None, agency: Agency | None = None, measure: str = "sipas"
) -> list[Point]:
    """Whole-year figures of one unit or agency, oldest first (withheld values are not part of a trend)."""
    figures = PublishedFigure.objects.filter(measure=measure, period="", value__isnull=False).select_related(
        "unit", "agency"
    )
    figures = figures.filter(unit=unit) if unit is not None else figures.filter(agency=agency)
    return [_point(f) for f in figures.order_by("year")]


def predecessor_series(unit: AdminUnit, measure: str = "sipas") -> list[tuple[AdminUnit, list[Point]]]:
    """The figures of the units that merged into this one, each as its own series (before the merger)."""
    links = UnitLineage.objects.filter(successor=unit, is_primary=True).select_related("predecessor")
    result = []
    for link in links.order_by("predecessor__code"):
        points = series(unit=link.predecessor, measure=measure)
        if points:
            result.append((link.predecessor, points))
    return result


def targets_in_force(measure: str, *, on: date, unit: AdminUnit | None = None) -> list[Target]:
    """Targets of a measure in force on a date; a unit's own target replaces the general one for that year."""
    targets = Target.objects.filter(measure=measure, effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=on)
    )
    scoped = (
        targets.filter(Q(unit__isnull=True) | Q(unit=unit)) if unit else targets.filter(unit__isnull=True)
    )
    by_year: dict[int, Target] = {}
    for target in scoped.order_by("target_year", "effective_from"):
        known = by_year.get(target.target_year)
        if known is None or (target.unit_id and not known.unit_id) or known.unit_id == target.unit_id:
            by_year[target.target_year] = target
    return [by_year[y] for y in sorted(by_year)]


def latest_year(figures: QuerySet[PublishedFigure]) -> int | None:
    """The most recent well-covered year: a year with one province's figure alone does not make a national table."""
    counts = {row["year"]: row["k"] for row in figures.values("year").annotate(k=Count("id")).order_by()}
    return covered_year(counts)


def covered_year(counts: dict[int, int]) -> int | None:
    """The latest year with more than half as many figures as the best-covered year."""
    if not counts:
        return None
    best = max(counts.values())
    return max(year for year, k in counts.items() if 2 * k > best)


def ranked_points(figures: Iterable[PublishedFigure]) -> list[Point]:
    """Figures as points in rank order; small samples after the ranked ones, without a rank."""
    points = {p.code: p for p in (_point(f) for f in figures)}
    ranked = ranking.rank([ranking.Entry(p.code, p.value, p.n) for p in points.values()], min_n=min_answers())
    return [_with_rank(points[r.key], r.rank) for r in ranked]


def _with_rank(point: Point, place: int | None) -> Point:
    from dataclasses import replace

    return replace(point, rank=place)


def province_table(measure: str = "sipas", year: int | None = None) -> tuple[int | None, list[Point]]:
    """Today's provinces ranked by a measure in a year (the latest by default)."""
    figures = PublishedFigure.objects.filter(
        measure=measure, period="", unit__structure=CURRENT, unit__level=PROVINCE
    ).select_related("unit")
    year = year or latest_year(figures)
    if year is None:
        return None, []
    return year, ranked_points(figures.filter(year=year))


def commune_table(
    province: AdminUnit, measure: str = "sipas", year: int | None = None
) -> tuple[int | None, list[Point]]:
    """The province's communes ranked by a measure in a year (the latest by default)."""
    figures = PublishedFigure.objects.filter(
        measure=measure, period="", unit__structure=CURRENT, unit__level=COMMUNE, unit__parent=province
    ).select_related("unit")
    year = year or latest_year(figures)
    if year is None:
        return None, []
    return year, ranked_points(figures.filter(year=year))


def agency_table(
    province: AdminUnit, measure: str = "sipas", year: int | None = None
) -> tuple[int | None, list[Point]]:
    """Agencies located in the province ranked by a measure in a year (the latest by default).

    A commune People's Committee is published as its commune (commune table), so it is not listed again here.
    """
    figures = (
        PublishedFigure.objects.filter(
            measure=measure, period="", agency__admin_unit__path__startswith=province.path
        )
        .exclude(agency__kind="commune_committee")
        .select_related("agency")
    )
    year = year or latest_year(figures)
    if year is None:
        return None, []
    return year, ranked_points(figures.filter(year=year))


def figures_of_unit(unit: AdminUnit) -> dict[str, list[Point]]:
    """Every whole-year series published for a unit, by measure code (criteria are on the officials' page)."""
    grouped: dict[str, list[Point]] = defaultdict(list)
    figures = (
        PublishedFigure.objects.filter(unit=unit, period="")
        .exclude(measure__startswith="sipas_criterion:")
        .select_related("unit")
    )
    for figure in figures.order_by("measure", "year"):
        grouped[figure.measure].append(_point(figure))
    return dict(grouped)


def search_published_units(query: str, *, limit: int = 30) -> list[AdminUnit]:
    """Today's units with published figures whose name matches, accents or not ("dak lak" finds "Đắk Lắk")."""
    folded = fold(query)
    units = AdminUnit.objects.filter(structure=CURRENT, published_figures__isnull=False).distinct()
    if folded:
        units = units.filter(
            Q(search_name__contains=folded) | Q(search_short__contains=folded) | Q(code=folded)
        )
    return list(units.select_related("parent").order_by("level", "search_short")[:limit])


@dataclass
class GroupRow:
    code: str
    name: str
    value: Decimal
    n: int | None
    is_estimate: bool


@dataclass
class RankingGroup:
    measure: str
    key: str
    year: int
    rows: list[GroupRow] = field(default_factory=list)
    period: str = ""


def ranking_groups() -> list[RankingGroup]:
    """The comparison groups published as rankings: all provinces, each province's communes, each agency block."""
    from thuocdo.publication.models import Index766Month

    groups: list[RankingGroup] = []
    latest_month = Index766Month.objects.order_by("-year", "-month").first()
    for measure in RANKED_MEASURES:
        base = PublishedFigure.objects.filter(measure=measure, period="")
        if measure == "index766" and latest_month is not None:
            # Once months are published, the 766 ranking is the latest published month's.
            base = PublishedFigure.objects.filter(measure=measure, index_month=latest_month)
        provinces = base.filter(unit__structure=CURRENT, unit__level=PROVINCE).select_related("unit")
        groups.extend(_group(measure, PROVINCE, provinces, lambda f: f.unit))
        communes = base.filter(unit__structure=CURRENT, unit__level=COMMUNE).select_related("unit__parent")
        by_province: dict[str, list[PublishedFigure]] = defaultdict(list)
        for figure in communes:
            parent = figure.unit.parent if figure.unit else None
            by_province[parent.code if parent else ""].append(figure)
        for code, items in sorted(by_province.items()):
            groups.extend(_group(measure, f"commune:{code}", items, lambda f: f.unit))
        agencies = base.filter(agency__block__isnull=False).select_related("agency__block")
        by_block: dict[str, list[PublishedFigure]] = defaultdict(list)
        for figure in agencies:
            block = figure.agency.block if figure.agency else None
            if block is not None:
                by_block[block.code].append(figure)
        for code, items in sorted(by_block.items()):
            groups.extend(_group(measure, f"block:{code}", items, lambda f: f.agency))
    return groups


def _group(measure: str, key: str, figures: Iterable[PublishedFigure], who: Any) -> list[RankingGroup]:
    items = list(figures)
    if not items:
        return []
    counts: dict[int, int] = defaultdict(int)
    for f in items:
        counts[f.year] += 1
    year = covered_year(counts) or max(counts)
    rows = [
        GroupRow(who(f).code, who(f).name, f.value, f.n, f.is_estimate)
        for f in items
        if f.year == year and f.value is not None  # a withheld figure has no place in a ranking snapshot
    ]
    return [RankingGroup(measure, key, year, rows, period=items[0].period)]


def latest_snapshot_rows(measure: str, group: str) -> list[SnapshotRow]:
    """The most recent snapshot's rows for a ranking, in rank order."""
    snapshot = Snapshot.objects.filter(measure=measure, group=group).order_by("-taken_on").first()
    if snapshot is None:
        return []
    return list(snapshot.rows.order_by(F("rank").asc(nulls_last=True), "code"))


def merger_note_year() -> int:
    """The first year whose figures belong to today's units (the 2025 reorganisation)."""
    return REORGANISED_ON.year


def measure_label(code: str) -> str:
    """A reader's name for a measure code."""
    return measures.label(code)


def api_figures(
    *,
    measure: str | None = None,
    unit: str | None = None,
    agency: str | None = None,
    year: int | None = None,
    structure: str | None = None,
) -> QuerySet[PublishedFigure]:
    """Figures for the read API, filtered; the API pages through them."""
    figures = PublishedFigure.objects.select_related("unit", "agency").order_by(
        "measure", "year", "period", "unit__code", "agency__code", "pk"
    )
    if measure:
        figures = figures.filter(measure=measure)
    if unit:
        figures = figures.filter(unit__code=unit)
    if agency:
        figures = figures.filter(agency__code=agency)
    if year:
        figures = figures.filter(year=year)
    if structure:
        figures = figures.filter(unit__structure=structure)
    return figures.select_related("block")


def api_targets(*, measure: str | None = None) -> list[dict[str, Any]]:
    """Every target version, for the read API."""
    targets = Target.objects.select_related("unit").order_by("measure", "target_year", "effective_from")
    if measure:
        targets = targets.filter(measure=measure)
    return [
        {
            "measure": t.measure,
            "threshold": t.threshold,
            "target_year": t.target_year,
            "label": t.label,
            "unit_code": t.unit.code if t.unit else None,
            "effective_from": t.effective_from,
            "effective_to": t.effective_to,
            "source": t.source,
        }
        for t in targets
    ]


@dataclass(frozen=True)
class CampaignPublication:
    figures: int
    published_at: Any
    year: int | None


def campaign_publication(campaign: Any) -> CampaignPublication:
    """Whether (and when) a survey campaign's results are published."""
    figures = PublishedFigure.objects.filter(campaign=campaign)
    latest = figures.order_by("-imported_at").values_list("imported_at", "year").first()
    return CampaignPublication(
        figures=figures.count(),
        published_at=latest[0] if latest else None,
        year=latest[1] if latest else None,
    )


def survey_components(*, unit: AdminUnit, year: int) -> list[tuple[str, str, Point]]:
    """Factor and criterion figures of a unit for a year as (level, code, point), each factor before its criteria."""
    figures = list(
        PublishedFigure.objects.filter(unit=unit, year=year, period="")
        .filter(Q(measure__startswith="sipas_factor:") | Q(measure__startswith="sipas_criterion:"))
        .select_related("unit")
        .order_by("pk")  # publication order follows the instrument
    )
    factors = [f for f in figures if f.measure.startswith("sipas_factor:")]
    criteria = [f for f in figures if f.measure.startswith("sipas_criterion:")]
    out: list[tuple[str, str, Point]] = []
    for factor in factors:
        code = factor.measure.partition(":")[2]
        out.append(("factor", code, _point(factor)))
        out.extend(
            ("criterion", c.measure.partition(":")[2], _point(c))
            for c in criteria
            if isinstance(c.components, dict) and c.components.get("factor") == code
        )
    return out


def survey_campaign(slug: str) -> Any:
    """A survey campaign by slug (for the publishing command), or None."""
    from thuocdo.surveys.models import Campaign

    return Campaign.objects.select_related("instrument").filter(slug=slug).first()
